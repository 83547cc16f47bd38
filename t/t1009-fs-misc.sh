#!/bin/sh
test_description='statfs, fallocate, access, and inode numbers that stay put while mounted'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

mkdir -p "$L/ldir/sub" "$L/mvdir/x" "$L/cpdir" &&
for f in fa fk fp acc ino1 ino2 ino3 ino4 exe; do
	printf "lower %s content\n" "$f" >"$L/$f" || exit 1
done &&
chmod 0755 "$L/exe" && chmod 0444 "$L/acc" &&
echo 'lower w' >"$L/w" && mknod "$U/w" c 0 0 || exit 1

lower_snapshot
fs_mount

statfs_field() { op statfs "$1" | tr " " "\n" | sed -n "s/^$2=//p"; }

test_fs 'statfs reports the upper filesystem: block size, blocks, name length' '
	expect_ok statfs "$M" &&
	test "$(statfs_field "$M" bsize)" = "$(statfs_field "$U" bsize)" &&
	test "$(statfs_field "$M" blocks)" = "$(statfs_field "$U" blocks)" &&
	test "$(statfs_field "$M" namelen)" -gt 0
'

test_fs 'statfs works on lower-only entries too' '
	expect_ok statfs "$M/ldir/sub" &&
	test_path_is_missing "$U/ldir"
'

test_fs 'fallocate of a lower file copies it up and extends it with zeros' '
	expect ok fallocate "$M/fa" 0 4096 &&
	expect "ok size=4096" lstat "$M/fa" size &&
	{ cat "$L/fa" && head -c $((4096 - $(field "$L/fa" size))) /dev/zero; } >expect &&
	cmp expect "$M/fa" &&
	expect "ok size=4096" lstat "$U/fa" size
'

test_fs 'fallocate KEEP_SIZE of a lower file keeps its size and content' '
	expect ok fallocate "$M/fk" 0 65536 KEEP_SIZE &&
	cmp "$L/fk" "$M/fk"
'

test_fs 'fallocate PUNCH_HOLE of a lower file zeros the range' '
	expect ok fallocate "$M/fp" 0 5 PUNCH_HOLE,KEEP_SIZE &&
	{ head -c 5 /dev/zero && tail -c +6 "$L/fp"; } >expect &&
	cmp expect "$M/fp"
'

test_fs 'fallocate of an upper-only file' '
	: >"$M/uf" &&
	expect ok fallocate "$M/uf" 100 100 &&
	expect "ok size=200" lstat "$M/uf" size
'

test_fs 'access F_OK and R_OK of lower files; a whited-out name is ENOENT' '
	expect ok access "$M/acc" F_OK &&
	expect ok access "$M/acc" R_OK &&
	expect ok access "$M/ldir/sub" R_OK,X_OK &&
	expect ENOENT access "$M/w" F_OK &&
	expect ENOENT access "$M/nosuch" F_OK
'

test_fs 'access X_OK follows the mode bits, even for root' '
	expect ok access "$M/exe" X_OK &&
	expect EACCES access "$M/acc" X_OK
'

test_fs 'access W_OK of a lower file does not copy it up' '
	expect ok access "$M/acc" W_OK &&
	test_path_is_missing "$U/acc"
'

test_fs 'a lower file keeps its inode number from stat to stat' '
	a=$(field "$M/ino1" ino) && b=$(field "$M/ino1" ino) &&
	test "$a" = "$b" && echo "$a" >ino1.before &&
	test "$(field "$M/ino2" ino)" != "$a"
'

test_fs 'copy-up by chmod keeps the inode number' '
	expect ok chmod "$M/ino1" 0600 &&
	test_path_is_file "$U/ino1" &&
	test "$(field "$M/ino1" ino)" = "$(cat ino1.before)"
'

test_fs 'copy-up by writing keeps the inode number, also while open' '
	a=$(field "$M/ino2" ino) &&
	exec 3<"$M/ino2" &&
	expect ok open "$M/ino2" O_WRONLY,O_APPEND 0 "+" &&
	test "$(field "$M/ino2" ino)" = "$a" &&
	exec 3<&-
'

test_fs 'rename of a lower file keeps the inode number' '
	a=$(field "$M/ino3" ino) &&
	expect ok rename "$M/ino3" "$M/ino3b" &&
	test "$(field "$M/ino3b" ino)" = "$a"
'

test_fs 'a lower directory keeps its inode number through copy-up' '
	a=$(field "$M/cpdir" ino) &&
	echo x >"$M/cpdir/new" &&
	test_path_is_dir "$U/cpdir" &&
	test "$(field "$M/cpdir" ino)" = "$a"
'

test_fs 'a renamed lower directory keeps its inode number' '
	a=$(field "$M/mvdir" ino) && x=$(field "$M/mvdir/x" ino) &&
	expect ok rename "$M/mvdir" "$M/ldir/mv" &&
	test "$(field "$M/ldir/mv" ino)" = "$a" &&
	test "$(field "$M/ldir/mv/x" ino)" = "$x"
'

test_fs 'an upper-only file keeps its inode number' '
	echo u >"$M/up" && a=$(field "$M/up" ino) &&
	expect ok chmod "$M/up" 0600 &&
	expect ok rename "$M/up" "$M/up2" &&
	test "$(field "$M/up2" ino)" = "$a"
'

test_fs 'distinct files have distinct inode numbers' '
	for f in fa fk fp acc ino1 ino2 ino3b ino4 exe up2 ldir cpdir ldir/mv; do
		field "$M/$f" ino || exit 1
	done >inos &&
	test -z "$(sort inos | uniq -d)"
'

test_fs 'every entry of the mount reports the same device' '
	for f in . ino4 ino1 ldir ldir/sub cpdir up2; do
		field "$M/$f" dev || exit 1
	done | sort -u >devs &&
	test "$(wc -l <devs)" -eq 1
'

fs_done
