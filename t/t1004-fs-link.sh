#!/bin/sh
test_description='hard links: of lower, upper-only and copied-up files'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

mkdir -p "$L/ldir" "$L/d" &&
echo 'lower a' >"$L/a" && chmod 0604 "$L/a" && chown 42:43 "$L/a" &&
echo 'lower c' >"$L/c" &&
echo 'lower e' >"$L/ldir/e" &&
echo 'lower h' >"$L/h1" && ln "$L/h1" "$L/h2" &&
ln -s a "$L/sl" &&
echo 'lower w' >"$L/w" && mknod "$U/w" c 0 0 || exit 1

lower_snapshot
fs_mount

test_fs 'link of a lower file copies it up and links it: one inode, two names' '
	expect ok link "$M/a" "$M/b" &&
	expect "ok lower a" read "$M/b" &&
	expect "ok nlink=2" lstat "$M/a" nlink &&
	expect "ok nlink=2" lstat "$M/b" nlink &&
	test "$(field "$M/a" ino)" = "$(field "$M/b" ino)" &&
	expect "ok mode=0604 uid=42 gid=43" lstat "$M/b" mode uid gid
'

test_fs 'in the upper layer both names are one inode with two links' '
	test "$(stat -c %i,%h "$U/a")" = "$(stat -c %i,%h "$U/b")" &&
	test "$(stat -c %h "$U/a")" = 2
'

test_fs 'a write through one name shows through the other' '
	expect ok open "$M/b" O_WRONLY,O_APPEND 0 "+b" &&
	printf "lower a\n+b" >expect &&
	test_cmp expect "$M/a"
'

test_fs 'link of an upper-only file' '
	echo new >"$M/n" &&
	expect ok link "$M/n" "$M/n2" &&
	expect "ok nlink=2" lstat "$M/n2" nlink &&
	test "$(field "$M/n" ino)" = "$(field "$M/n2" ino)"
'

test_fs 'link of a copied-up file' '
	copy_up c &&
	expect ok link "$M/c" "$M/c2" &&
	expect "ok lower c" read "$M/c2" &&
	expect "ok nlink=2" lstat "$M/c" nlink
'

test_fs 'link into a lower directory, and from one' '
	expect ok link "$M/c" "$M/ldir/c3" &&
	expect "ok nlink=3" lstat "$M/ldir/c3" nlink &&
	expect ok link "$M/ldir/e" "$M/e2" &&
	expect "ok lower e" read "$M/e2" &&
	printf "%s\n" c3 e >expect && ls_m ldir >actual && test_cmp expect actual
'

test_fs 'link over an existing name is EEXIST in every layer' '
	expect EEXIST link "$M/c" "$M/a" &&
	expect EEXIST link "$M/c" "$M/n" &&
	expect EEXIST link "$M/c" "$M/h1" &&
	expect EEXIST link "$M/n" "$M/ldir/e"
'

test_fs 'link of a directory is EPERM, of a missing name ENOENT' '
	expect EPERM link "$M/d" "$M/d2" &&
	expect ENOENT link "$M/nosuch" "$M/x" &&
	expect ENOENT link "$M/w" "$M/x" &&
	expect ENOENT lstat "$M/x"
'

test_fs 'link onto a whited-out name' '
	expect ok link "$M/n" "$M/w" &&
	expect "ok new" read "$M/w" &&
	expect "ok nlink=3" lstat "$M/n" nlink
'

test_fs 'link of a lower symlink links the symlink itself' '
	expect ok link "$M/sl" "$M/sl2" &&
	expect "ok type=lnk" lstat "$M/sl2" type &&
	expect "ok a" readlink "$M/sl2"
'

test_fs 'lower hard links read as one file with two links' '
	expect "ok lower h" read "$M/h2" &&
	expect "ok nlink=2" lstat "$M/h1" nlink &&
	test "$(field "$M/h1" ino)" = "$(field "$M/h2" ino)"
'

test_fs 'unlink of one name leaves the other with one link fewer' '
	expect ok unlink "$M/a" &&
	expect "ok nlink=1" lstat "$M/b" nlink &&
	printf "lower a\n+b" >expect && test_cmp expect "$M/b" &&
	upper_is_whiteout a
'

test_fs 'links survive a remount' '
	fs_remount &&
	expect "ok nlink=3" lstat "$M/n" nlink &&
	test "$(field "$M/n" ino)" = "$(field "$M/w" ino)" &&
	expect "ok lower e" read "$M/e2"
'

fs_done
