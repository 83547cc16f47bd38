#!/bin/sh
test_description='edge cases: forgotten inodes, nested redirects, long names, directory exchange, a clean work directory'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

T0=1000000000.123456789
N255=$(printf "%0255d" 5)
mkdir -p "$L/a/in" "$L/b/bb" "$L/ex1/e" "$L/ex2" "$L/wo/x" "$L/tgt" \
	"$L/mt/sub" "$L/keep/k" &&
echo 'lower a' >"$L/a/in/f" && echo 'lower bb' >"$L/b/bb/g" &&
echo 'lower e' >"$L/ex1/e/f" && echo 'lower x' >"$L/wo/x/f" &&
echo 'lower k' >"$L/keep/k/f" && echo 'lower s' >"$L/mt/sub/s" &&
echo 'long' >"$L/$N255" && echo 'lower h' >"$L/h" &&
ln -s h "$L/sl" &&
find "$L" -exec touch -h -d "@$T0" {} + || exit 1
T0M=$(field "$L/mt" mtime)

lower_snapshot
fs_mount

# Make the kernel forget every inode it can, so the next lookup comes
# from the filesystem again (FUSE_FORGET for overpackfs).
forget_all() { sync && echo 3 >/proc/sys/vm/drop_caches; }

test_fs 'inode numbers survive the kernel forgetting the inodes' '
	for f in h a a/in a/in/f keep/k/f; do
		echo "$f $(field "$M/$f" ino)" || exit 1
	done >before &&
	forget_all &&
	for f in h a a/in a/in/f keep/k/f; do
		echo "$f $(field "$M/$f" ino)" || exit 1
	done >after &&
	test_cmp before after
'

test_fs 'after copy-up and forgetting, inode numbers and links hold' '
	a=$(field "$M/h" ino) &&
	expect ok link "$M/h" "$M/h2" &&
	forget_all &&
	test "$(field "$M/h" ino)" = "$a" &&
	test "$(field "$M/h2" ino)" = "$a" &&
	expect "ok nlink=2" lstat "$M/h2" nlink
'

test_fs 'a renamed lower directory keeps its children and inode after forgetting' '
	a=$(field "$M/keep" ino) && k=$(field "$M/keep/k/f" ino) &&
	expect ok rename "$M/keep" "$M/kept" &&
	forget_all &&
	test "$(field "$M/kept" ino)" = "$a" &&
	test "$(field "$M/kept/k/f" ino)" = "$k" &&
	expect "ok lower k" read "$M/kept/k/f"
'

test_fs 'nested renames: a lower directory moved into another that moves too' '
	expect ok rename "$M/a" "$M/b/a2" &&
	expect ok rename "$M/b" "$M/c" &&
	expect "ok lower a" read "$M/c/a2/in/f" &&
	expect "ok lower bb" read "$M/c/bb/g" &&
	printf "%s\n" a2 bb >expect && ls_m c >actual && test_cmp expect actual &&
	r=$(upper_xattr c trusted.overlay.redirect) &&
	{ [ "$r" = /b ] || [ "$r" = b ] || { echo "c: redirect \"$r\""; false; }; } &&
	test "$(upper_xattr c/a2 trusted.overlay.redirect)" = /a
'

test_fs 'nested renames hold after forgetting and after a remount' '
	forget_all &&
	expect "ok lower a" read "$M/c/a2/in/f" &&
	fs_remount &&
	expect "ok lower a" read "$M/c/a2/in/f" &&
	expect "ok lower bb" read "$M/c/bb/g" &&
	expect ENOENT lstat "$M/a" && expect ENOENT lstat "$M/b"
'

test_fs 'RENAME_EXCHANGE of a lower directory and an upper-only directory' '
	mkdir "$M/ud" && echo u >"$M/ud/u" &&
	expect ok rename "$M/ex1" "$M/ud" EXCHANGE &&
	expect "ok lower e" read "$M/ud/e/f" &&
	expect "ok u" read "$M/ex1/u" &&
	expect ENOENT lstat "$M/ex1/e" &&
	expect ENOENT lstat "$M/ud/u"
'

test_fs 'RENAME_EXCHANGE of two lower directories' '
	expect ok rename "$M/ud" "$M/ex2" EXCHANGE &&
	expect "ok lower e" read "$M/ex2/e/f" &&
	test -z "$(ls -A "$M/ud")"
'

test_fs 'a directory renames over a lower directory emptied by deletions' '
	expect ok unlink "$M/wo/x/f" && expect ok rmdir "$M/wo/x" &&
	expect ok rename "$M/ex2" "$M/wo" &&
	expect "ok lower e" read "$M/wo/e/f" &&
	expect ENOENT lstat "$M/wo/x"
'

test_fs 'a 255-byte name works in every layer; 256 bytes is ENAMETOOLONG' '
	expect "ok long" read "$M/$N255" &&
	expect ok rename "$M/$N255" "$M/${N255%?}6" &&
	expect ok rename "$M/${N255%?}6" "$M/$N255" &&
	expect ok open "$M/${N255%?}7" O_CREAT,O_EXCL,O_WRONLY 0644 &&
	expect ok mkdir "$M/${N255%?}8" 0755 &&
	expect ENAMETOOLONG open "$M/d$N255" O_CREAT,O_EXCL,O_WRONLY 0644
'

test_fs 'ENAMETOOLONG is an answer for every call' '
	expect ENAMETOOLONG open "$M/x$N255" O_CREAT,O_EXCL,O_WRONLY 0644 &&
	expect ENAMETOOLONG mkdir "$M/x$N255" 0755 &&
	expect ENAMETOOLONG lstat "$M/x$N255" &&
	expect ENAMETOOLONG symlink h "$M/x$N255" &&
	expect ENAMETOOLONG rename "$M/h" "$M/x$N255" &&
	expect ENAMETOOLONG link "$M/h" "$M/x$N255" &&
	expect_ok lstat "$M/h"
'

test_fs 'a 255-byte lower name can be deleted: its whiteout has that name too' '
	expect ok unlink "$M/$N255" &&
	expect ENOENT lstat "$M/$N255" &&
	upper_is_whiteout "$N255"
'

test_fs 'copy-up of a directory keeps its mtime' '
	expect ok chmod "$M/mt" 0700 &&
	expect "ok mtime=$T0M" lstat "$M/mt" mtime &&
	expect "ok mtime=$T0M" lstat "$U/mt" mtime
'

test_fs 'copy-up of a symlink keeps its mtime' '
	expect ok lchown "$M/sl" 5 5 &&
	expect "ok mtime=$T0M" lstat "$M/sl" mtime
'

test_fs 'a deep copy-up keeps the mtimes of the parents it creates' '
	expect ok chmod "$M/mt/sub/s" 0600 &&
	expect "ok mtime=$T0M" lstat "$M/mt/sub" mtime
'

# The kernel keeps a shared whiteout (a 0/0 device) in its work
# directory; a copy-up's temporary file or symlink must not be left.  The
# index of hard links stays, and holds only links of upper objects (and
# overpackfs's note of whose index it is).
test_fs 'after unmount the work directory holds no files or symlinks but the index' '
	fs_umount &&
	find "$W" \( -type f -o -type l \) ! -path "$W/index/*" >left &&
	find "$W/index" -type f ! -name "#upper" 2>/dev/null |
	while read -r f; do
		[ -n "$(find "$U" -inum "$(stat -c %i "$f")")" ] ||
			echo "not in the upper layer: $f"
	done >>left &&
	fs_mount &&
	test_cmp /dev/null left
'

fs_done
