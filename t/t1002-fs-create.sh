#!/bin/sh
test_description='create and open flags: O_CREAT|O_EXCL, O_TRUNC, O_APPEND, copy-up on open for write'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

mkdir -p "$L/d1/d2" "$L/ldir" &&
chmod 0750 "$L/d1" && chmod 0705 "$L/d1/d2" &&
chown 1234:5678 "$L/d1" "$L/d1/d2" &&
echo 'deep' >"$L/d1/d2/f" &&
for f in excl creat trunc append rdwr rdonly cu tgt; do
	echo "lower $f" >"$L/$f" || exit 1
done &&
echo 'sibling' >"$L/ldir/sib" &&
head -c 1048576 /dev/urandom >"$L/big" &&
truncate -s 10M "$L/sparse" && printf 'end' >>"$L/sparse" &&
ln -s tgt "$L/lnk" &&
mknod "$U/wh" c 0 0 && echo 'lower wh' >"$L/wh" || exit 1

lower_snapshot
fs_mount

test_fs 'O_CREAT|O_EXCL makes a new upper file, a second time EEXIST' '
	expect ok open "$M/new" O_CREAT,O_EXCL,O_WRONLY 0640 hello &&
	expect EEXIST open "$M/new" O_CREAT,O_EXCL,O_WRONLY 0640 &&
	expect "ok type=reg mode=0640 uid=0 gid=0 size=5" lstat "$M/new" type mode uid gid size &&
	test "$(cat "$U/new")" = hello
'

test_fs 'O_CREAT|O_EXCL on a lower file is EEXIST and copies nothing up' '
	expect EEXIST open "$M/excl" O_CREAT,O_EXCL,O_WRONLY 0644 &&
	test_path_is_missing "$U/excl" &&
	expect "ok lower excl" read "$M/excl"
'

test_fs 'O_CREAT|O_EXCL over a whiteout creates a fresh file' '
	expect ENOENT lstat "$M/wh" &&
	expect ok open "$M/wh" O_CREAT,O_EXCL,O_WRONLY 0600 fresh &&
	expect "ok fresh" read "$M/wh" &&
	expect "ok type=reg mode=0600" lstat "$M/wh" type mode &&
	expect "ok type=reg" lstat "$U/wh" type
'

test_fs 'O_CREAT on an existing lower file opens it; content is kept' '
	expect ok open "$M/creat" O_CREAT,O_WRONLY 0600 &&
	expect "ok lower creat" read "$M/creat" &&
	expect "ok mode=0644" lstat "$M/creat" mode
'

test_fs 'O_TRUNC on a lower file copies up and empties only the merged view' '
	expect ok open "$M/trunc" O_WRONLY,O_TRUNC &&
	expect "ok size=0" lstat "$M/trunc" size &&
	expect "ok size=0" lstat "$U/trunc" size &&
	test "$(cat "$L/trunc")" = "lower trunc"
'

test_fs 'O_APPEND on a lower file copies up with the content preserved' '
	expect ok open "$M/append" O_WRONLY,O_APPEND 0 "more" &&
	printf "lower append\nmore" >expect &&
	test_cmp expect "$M/append" &&
	test_cmp expect "$U/append"
'

test_fs 'O_RDWR write at offset 0 of a lower file overwrites in place' '
	expect ok open "$M/rdwr" O_RDWR 0 "L" &&
	expect "ok Lower rdwr" read "$M/rdwr"
'

test_fs 'O_RDONLY of a lower file does not copy it up' '
	expect "ok lower rdonly" read "$M/rdonly" &&
	expect ok open "$M/rdonly" O_RDONLY &&
	test_path_is_missing "$U/rdonly"
'

test_fs 'copy-up of a deep file creates its parents with their modes and owners' '
	expect ok open "$M/d1/d2/f" O_WRONLY,O_APPEND 0 "+" &&
	expect "ok type=dir mode=0750 uid=1234 gid=5678" lstat "$U/d1" type mode uid gid &&
	expect "ok type=dir mode=0705 uid=1234 gid=5678" lstat "$U/d1/d2" type mode uid gid &&
	upper_not_opaque d1 && upper_not_opaque d1/d2 &&
	printf "deep\n+" >expect && test_cmp expect "$M/d1/d2/f" &&
	expect "ok mode=0750 uid=1234 gid=5678" lstat "$M/d1" mode uid gid
'

test_fs 'a file created in a lower directory leaves the lower siblings visible' '
	expect ok open "$M/ldir/made" O_CREAT,O_EXCL,O_WRONLY 0644 x &&
	printf "%s\n" made sib >expect &&
	ls_m ldir >actual && test_cmp expect actual &&
	upper_not_opaque ldir
'

test_fs 'copy-up of a 1 MiB file keeps every byte' '
	expect ok open "$M/big" O_WRONLY &&
	test_path_is_file "$U/big" &&
	cmp "$L/big" "$M/big" && cmp "$L/big" "$U/big"
'

test_fs 'copy-up of a sparse file keeps its size and content' '
	expect ok open "$M/sparse" O_WRONLY &&
	expect "ok size=10485763" lstat "$M/sparse" size &&
	cmp "$L/sparse" "$M/sparse"
'

test_fs 'open of a directory for writing is EISDIR, O_DIRECTORY of a file ENOTDIR' '
	expect EISDIR open "$M/ldir" O_WRONLY &&
	expect ENOTDIR open "$M/creat" O_RDONLY,O_DIRECTORY &&
	test_path_is_missing "$U/excl"
'

test_fs 'O_NOFOLLOW on a lower symlink is ELOOP' '
	expect ELOOP open "$M/lnk" O_RDONLY,O_NOFOLLOW
'

test_fs 'open for write through a lower symlink copies up the target only' '
	expect ok open "$M/lnk" O_WRONLY,O_APPEND 0 "!" &&
	test_path_is_missing "$U/lnk" &&
	expect "ok type=reg" lstat "$U/tgt" type &&
	printf "lower tgt\n!" >expect && test_cmp expect "$M/tgt"
'

test_fs 'on an upper-only file: O_EXCL EEXIST, O_APPEND and O_TRUNC work' '
	expect EEXIST open "$M/new" O_CREAT,O_EXCL,O_WRONLY 0644 &&
	expect ok open "$M/new" O_WRONLY,O_APPEND 0 "!" &&
	expect "ok hello!" read "$M/new" &&
	expect ok open "$M/new" O_WRONLY,O_TRUNC &&
	expect "ok size=0" lstat "$M/new" size
'

test_fs 'on a copied-up file: O_EXCL EEXIST, O_APPEND and O_TRUNC work' '
	copy_up cu &&
	expect EEXIST open "$M/cu" O_CREAT,O_EXCL,O_WRONLY 0644 &&
	expect ok open "$M/cu" O_WRONLY,O_APPEND 0 "!" &&
	printf "lower cu\n!" >expect && test_cmp expect "$M/cu" &&
	expect ok open "$M/cu" O_WRONLY,O_TRUNC &&
	expect "ok size=0" lstat "$M/cu" size
'

test_fs 'data written through the mount survives a remount' '
	fs_remount &&
	printf "lower append\nmore" >expect &&
	test_cmp expect "$M/append" &&
	expect "ok size=0" lstat "$M/trunc" size &&
	expect "ok fresh" read "$M/wh"
'

fs_done
