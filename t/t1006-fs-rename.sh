#!/bin/sh
test_description='rename: files and directories across layers, NOREPLACE, EXCHANGE, redirects, never EXDEV'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

mkdir -p "$L/ldir" "$L/dst" "$L/tree/sub/deep" "$L/same/s" "$L/edir" \
	"$L/full/x" "$L/merged" "$L/back/b" "$L/cud" "$L/xd" &&
for f in f1 f2 f3 f4 nr1 nr2 ex1 ex2 cu self; do
	echo "lower $f" >"$L/$f" || exit 1
done &&
echo 'lower in' >"$L/ldir/in" &&
echo 'lower t' >"$L/tree/t" && echo 'lower s' >"$L/tree/sub/s" &&
echo 'lower d' >"$L/tree/sub/deep/d" && ln -s ../t "$L/tree/sub/lt" &&
echo 'lower ss' >"$L/same/s/ss" &&
echo 'lower m' >"$L/merged/m" && echo 'lower b' >"$L/back/b/bb" &&
echo 'lower cud' >"$L/cud/c" && echo 'lower xd' >"$L/xd/x" &&
echo 'lower w' >"$L/w" && mknod "$U/w" c 0 0 || exit 1

lower_snapshot
fs_mount

test_fs 'rename of a lower file to a new name: whiteout behind, content kept' '
	expect ok rename "$M/f1" "$M/g1" &&
	expect ENOENT lstat "$M/f1" &&
	expect "ok lower f1" read "$M/g1" &&
	upper_is_whiteout f1 &&
	expect "ok type=reg" lstat "$U/g1" type
'

test_fs 'rename of a lower file over another lower file replaces it' '
	expect ok rename "$M/f2" "$M/f3" &&
	expect "ok lower f2" read "$M/f3" &&
	expect ENOENT lstat "$M/f2" &&
	test -z "$(ls -A1 "$M" | sort | uniq -d)"
'

test_fs 'rename of a lower file over an upper-only file replaces it' '
	echo up >"$M/up" &&
	expect ok rename "$M/f4" "$M/up" &&
	expect "ok lower f4" read "$M/up"
'

test_fs 'rename of a lower file into a lower directory elsewhere' '
	expect ok rename "$M/g1" "$M/ldir/g1" &&
	printf "%s\n" g1 in >expect && ls_m ldir >actual && test_cmp expect actual &&
	expect "ok lower f1" read "$M/ldir/g1" &&
	expect "ok lower in" read "$M/ldir/in"
'

test_fs 'rename of an upper-only file leaves no whiteout behind' '
	echo u >"$M/u1" &&
	expect ok rename "$M/u1" "$M/u2" &&
	test_path_is_missing "$U/u1" &&
	expect "ok u" read "$M/u2"
'

test_fs 'rename of a copied-up file' '
	copy_up cu &&
	expect ok rename "$M/cu" "$M/cu2" &&
	expect "ok lower cu" read "$M/cu2" &&
	upper_is_whiteout cu
'

test_fs 'rename onto a whited-out name' '
	expect ok rename "$M/u2" "$M/w" &&
	expect "ok u" read "$M/w"
'

test_fs 'rename of a name onto itself is a no-op' '
	expect ok rename "$M/self" "$M/self" &&
	expect "ok lower self" read "$M/self"
'

test_fs 'RENAME_NOREPLACE onto an existing name is EEXIST in every layer' '
	expect EEXIST rename "$M/nr1" "$M/nr2" NOREPLACE &&
	expect EEXIST rename "$M/nr1" "$M/w" NOREPLACE &&
	expect EEXIST rename "$M/nr1" "$M/ldir" NOREPLACE &&
	expect "ok lower nr1" read "$M/nr1" &&
	expect "ok lower nr2" read "$M/nr2"
'

test_fs 'RENAME_NOREPLACE onto a free or whited-out name succeeds' '
	expect ok rename "$M/nr1" "$M/nr3" NOREPLACE &&
	expect ok rename "$M/nr3" "$M/f1" NOREPLACE &&
	expect "ok lower nr1" read "$M/f1"
'

test_fs 'RENAME_EXCHANGE swaps two lower files' '
	expect ok rename "$M/ex1" "$M/ex2" EXCHANGE &&
	expect "ok lower ex2" read "$M/ex1" &&
	expect "ok lower ex1" read "$M/ex2"
'

test_fs 'RENAME_EXCHANGE swaps a lower file and a lower directory' '
	expect ok rename "$M/ex1" "$M/xd" EXCHANGE &&
	expect "ok type=reg" lstat "$M/xd" type &&
	expect "ok lower ex2" read "$M/xd" &&
	expect "ok lower xd" read "$M/ex1/x"
'

test_fs 'RENAME_EXCHANGE with a missing name is ENOENT' '
	expect ENOENT rename "$M/ex2" "$M/nosuch" EXCHANGE &&
	expect "ok lower ex1" read "$M/ex2"
'

test_fs 'RENAME_WHITEOUT is refused with EINVAL' '
	expect EINVAL rename "$M/ex2" "$M/ex3" WHITEOUT &&
	expect "ok lower ex1" read "$M/ex2"
'

test_fs 'rename of a lower-only directory tree succeeds (never EXDEV)' '
	expect ok rename "$M/tree" "$M/dst/moved" &&
	expect ENOENT lstat "$M/tree" &&
	upper_is_whiteout tree
'

test_fs 'the renamed tree keeps its children visible and readable' '
	printf "%s\n" sub t >expect && ls_m dst/moved >actual && test_cmp expect actual &&
	printf "%s\n" deep lt s >expect && ls_m dst/moved/sub >actual && test_cmp expect actual &&
	expect "ok lower t" read "$M/dst/moved/t" &&
	expect "ok lower s" read "$M/dst/moved/sub/s" &&
	expect "ok lower d" read "$M/dst/moved/sub/deep/d" &&
	expect "ok lower t" read "$M/dst/moved/sub/lt"
'

test_fs 'the renamed directory carries an absolute redirect to its lower path' '
	test "$(upper_xattr dst/moved trusted.overlay.redirect)" = /tree &&
	expect "ok type=dir" lstat "$U/dst/moved" type
'

test_fs 'the renamed tree can be changed below the new name' '
	echo new >"$M/dst/moved/sub/n" &&
	expect ok unlink "$M/dst/moved/t" &&
	printf "%s\n" deep lt n s >expect && ls_m dst/moved/sub >actual && test_cmp expect actual &&
	printf "%s\n" sub >expect && ls_m dst/moved >actual && test_cmp expect actual
'

test_fs 'the renamed tree can be renamed again and keeps its content' '
	expect ok rename "$M/dst/moved" "$M/again" &&
	expect "ok lower d" read "$M/again/sub/deep/d" &&
	expect "ok new" read "$M/again/sub/n" &&
	expect ENOENT lstat "$M/again/t" &&
	expect ENOENT lstat "$M/dst/moved" &&
	test "$(upper_xattr again trusted.overlay.redirect)" = /tree
'

test_fs 'a new directory at the old name of a renamed tree is empty and opaque' '
	expect ok mkdir "$M/tree" 0755 &&
	test -z "$(ls -A "$M/tree")" &&
	upper_is_opaque tree
'

test_fs 'rename of a lower directory within its parent' '
	expect ok rename "$M/same" "$M/same2" &&
	expect "ok lower ss" read "$M/same2/s/ss" &&
	r=$(upper_xattr same2 trusted.overlay.redirect) &&
	{ [ "$r" = same ] || [ "$r" = /same ]; } ||
	{ echo "redirect is \"$r\""; false; }
'

test_fs 'rename of a merged directory (upper and lower entries)' '
	echo u >"$M/merged/u" &&
	expect ok rename "$M/merged" "$M/ldir/merged" &&
	printf "%s\n" m u >expect && ls_m ldir/merged >actual && test_cmp expect actual
'

test_fs 'rename of a copied-up lower directory' '
	copy_up cud &&
	expect ok rename "$M/cud" "$M/cud2" &&
	expect "ok lower cud" read "$M/cud2/c"
'

test_fs 'rename of an upper-only directory needs no redirect' '
	mkdir -p "$M/ud/x" && echo y >"$M/ud/x/y" &&
	expect ok rename "$M/ud" "$M/ud2" &&
	expect "ok y" read "$M/ud2/x/y" &&
	test -z "$(upper_xattr ud2 trusted.overlay.redirect)" &&
	test_path_is_missing "$U/ud"
'

test_fs 'rename of a directory over an empty lower directory' '
	expect ok rename "$M/same2" "$M/edir" &&
	expect "ok lower ss" read "$M/edir/s/ss" &&
	expect ENOENT lstat "$M/same2"
'

test_fs 'rename of a directory over an empty upper directory' '
	mkdir "$M/eu" &&
	expect ok rename "$M/cud2" "$M/eu" &&
	expect "ok lower cud" read "$M/eu/c"
'

test_fs 'rename of a directory over a non-empty one is ENOTEMPTY' '
	expect ENOTEMPTY rename "$M/eu" "$M/full" &&
	expect ENOTEMPTY rename "$M/eu" "$M/edir" &&
	expect "ok lower cud" read "$M/eu/c"
'

test_fs 'rename of a directory over a file is ENOTDIR, a file over a directory EISDIR' '
	expect ENOTDIR rename "$M/eu" "$M/self" &&
	expect EISDIR rename "$M/self" "$M/eu"
'

test_fs 'rename of a directory into its own subtree is EINVAL' '
	expect EINVAL rename "$M/again" "$M/again/sub/x"
'

test_fs 'rename of a missing name is ENOENT' '
	expect ENOENT rename "$M/nosuch" "$M/x" &&
	expect ENOENT rename "$M/w2" "$M/x"
'

test_fs 'a lower directory renamed away and back shows its content again' '
	expect ok rename "$M/back" "$M/away" &&
	expect ok rename "$M/away" "$M/back" &&
	expect "ok lower b" read "$M/back/b/bb" &&
	test -z "$(ls -A1 "$M" | sort | uniq -d)"
'

test_fs 'renamed trees survive a remount' '
	fs_remount &&
	expect "ok lower d" read "$M/again/sub/deep/d" &&
	expect "ok new" read "$M/again/sub/n" &&
	expect "ok lower ss" read "$M/edir/s/ss" &&
	expect "ok lower b" read "$M/back/b/bb" &&
	test -z "$(ls -A "$M/tree")" &&
	printf "%s\n" m u >expect && ls_m ldir/merged >actual && test_cmp expect actual
'

fs_done
