#!/bin/sh
test_description='unlink and rmdir: whiteouts for lower names, ENOTEMPTY for merged directories'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

mkdir -p "$L/ldir" "$L/empty" "$L/full/sub" "$L/emptied/sub" "$L/tree/a/b/c" \
	"$L/mixed" "$L/cu" &&
for f in lf cuf sl-target open; do echo "lower $f" >"$L/$f" || exit 1; done &&
echo 'lower e' >"$L/ldir/e" && echo 'lower e2' >"$L/ldir/e2" &&
echo 'lower x' >"$L/full/x" &&
echo 'lower 1' >"$L/emptied/one" && echo 'lower 2' >"$L/emptied/sub/two" &&
echo 'lower t' >"$L/tree/a/b/c/t" && echo 'lower t2' >"$L/tree/a/t2" &&
echo 'lower m' >"$L/mixed/m" &&
ln -s sl-target "$L/sl" || exit 1

lower_snapshot
fs_mount

test_fs 'unlink of a lower file leaves a whiteout in upper' '
	expect ok unlink "$M/lf" &&
	expect ENOENT lstat "$M/lf" &&
	! ls_m | grep -qx lf &&
	upper_is_whiteout lf
'

test_fs 'unlink of a whited-out name is ENOENT' '
	expect ENOENT unlink "$M/lf"
'

test_fs 'unlink of an upper-only file removes it, with no whiteout' '
	echo new >"$M/uf" &&
	expect ok unlink "$M/uf" &&
	expect ENOENT lstat "$M/uf" &&
	test_path_is_missing "$U/uf"
'

test_fs 'unlink of a copied-up file leaves a whiteout' '
	copy_up cuf &&
	expect ok unlink "$M/cuf" &&
	expect ENOENT lstat "$M/cuf" &&
	upper_is_whiteout cuf
'

test_fs 'unlink inside a lower directory copies the parent up with a whiteout' '
	expect ok unlink "$M/ldir/e" &&
	printf "%s\n" e2 >expect && ls_m ldir >actual && test_cmp expect actual &&
	upper_is_whiteout ldir/e && upper_not_opaque ldir
'

test_fs 'unlink of a lower symlink removes the link, not its target' '
	expect ok unlink "$M/sl" &&
	expect ENOENT lstat "$M/sl" &&
	expect "ok lower sl-target" read "$M/sl-target" &&
	upper_is_whiteout sl
'

test_fs 'unlink of a directory is EISDIR, of a missing name ENOENT' '
	expect EISDIR unlink "$M/ldir" &&
	expect ENOENT unlink "$M/nosuch" &&
	expect ENOTDIR unlink "$M/open/x"
'

test_fs 'a file that is open stays readable after unlink' '
	exec 3<"$M/open" &&
	expect ok unlink "$M/open" &&
	test "$(cat <&3)" = "lower open" &&
	exec 3<&- &&
	expect ENOENT lstat "$M/open"
'

test_fs 'a name can be created again after unlink of the lower file' '
	echo again >"$M/lf" &&
	expect "ok again" read "$M/lf" &&
	expect "ok type=reg" lstat "$U/lf" type
'

test_fs 'rmdir of an empty lower directory leaves a whiteout' '
	expect ok rmdir "$M/empty" &&
	expect ENOENT lstat "$M/empty" &&
	upper_is_whiteout empty
'

test_fs 'rmdir of an empty upper-only directory removes it, no whiteout' '
	expect ok mkdir "$M/ud" 0755 &&
	expect ok rmdir "$M/ud" &&
	test_path_is_missing "$U/ud"
'

test_fs 'rmdir of a merged directory with lower entries is ENOTEMPTY' '
	expect ENOTEMPTY rmdir "$M/full" &&
	expect ENOTEMPTY rmdir "$M/ldir" &&
	expect "ok lower x" read "$M/full/x"
'

test_fs 'rmdir of a directory with only upper entries is ENOTEMPTY' '
	expect ok mkdir "$M/ud2" 0755 && echo x >"$M/ud2/x" &&
	expect ENOTEMPTY rmdir "$M/ud2"
'

test_fs 'rmdir of a lower directory whose entries were all deleted succeeds' '
	expect ENOTEMPTY rmdir "$M/emptied" &&
	expect ok unlink "$M/emptied/one" &&
	expect ok unlink "$M/emptied/sub/two" &&
	expect ok rmdir "$M/emptied/sub" &&
	test -z "$(ls -A "$M/emptied")" &&
	expect ok rmdir "$M/emptied" &&
	expect ENOENT lstat "$M/emptied" &&
	upper_is_whiteout emptied
'

test_fs 'rmdir of a file is ENOTDIR, of a missing name ENOENT' '
	expect ENOTDIR rmdir "$M/sl-target" &&
	expect ENOENT rmdir "$M/nosuch"
'

test_fs 'rm -r of a lower tree hides it all and leaves one whiteout' '
	rm -r "$M/tree" &&
	expect ENOENT lstat "$M/tree" &&
	upper_is_whiteout tree
'

test_fs 'a merged directory emptied of lower and upper entries can be removed' '
	echo u >"$M/mixed/u" &&
	expect ENOTEMPTY rmdir "$M/mixed" &&
	expect ok unlink "$M/mixed/u" &&
	expect ENOTEMPTY rmdir "$M/mixed" &&
	expect ok unlink "$M/mixed/m" &&
	expect ok rmdir "$M/mixed" &&
	upper_is_whiteout mixed
'

test_fs 'rmdir of a copied-up empty lower directory leaves a whiteout' '
	copy_up cu &&
	expect ok rmdir "$M/cu" &&
	upper_is_whiteout cu
'

test_fs 'deletions survive a remount' '
	fs_remount &&
	for n in cuf empty emptied tree mixed cu sl ldir/e; do
		expect ENOENT lstat "$M/$n" || exit 1
	done &&
	expect "ok again" read "$M/lf"
'

fs_done
