#!/bin/sh
test_description='lookup and readdir merge the layers: upper hides lower, whiteouts and opaque directories hide it'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require

# Lower: a few files and trees.  Upper, written in the layer format before
# mounting: a file over a lower file, whiteouts, an opaque directory, a
# merged directory, and entries whose type differs from the lower one.
mkdir -p "$L/dir/sub" "$L/gone/deep" "$L/opq/ld" "$L/asfile" "$L/many" &&
echo 'lower a' >"$L/a" &&
echo 'lower b' >"$L/b" &&
echo 'lower x' >"$L/dir/x" &&
echo 'lower y' >"$L/dir/y" &&
echo 'lower z' >"$L/dir/sub/z" &&
echo 'lower g' >"$L/gone/deep/g" &&
echo 'lower o' >"$L/opq/lo" &&
echo 'lower ld' >"$L/opq/ld/f" &&
echo 'lower f' >"$L/asfile/f" &&
echo 'lower file' >"$L/asdir" &&
ln -s a "$L/lnk" &&
i=0 && while [ $i -lt 300 ]; do
	echo "l$i" >"$L/many/l$i"
	i=$((i + 1))
done || exit 1

mkdir -p "$U/dir" "$U/opq" "$U/asdir" "$U/many" &&
echo 'upper a' >"$U/a" &&
mknod "$U/b" c 0 0 &&
mknod "$U/gone" c 0 0 &&
mknod "$U/nolower" c 0 0 &&
echo 'upper x' >"$U/dir/x" &&
echo 'upper w' >"$U/dir/w" &&
setfattr -n trusted.overlay.opaque -v y "$U/opq" &&
echo 'upper n' >"$U/opq/n" &&
echo 'upper file' >"$U/asfile" &&
echo 'upper in dir' >"$U/asdir/u" &&
i=0 && while [ $i -lt 300 ]; do
	echo "u$i" >"$U/many/u$i"
	[ $((i % 3)) -eq 0 ] && mknod "$U/many/l$i" c 0 0
	i=$((i + 1))
done || exit 1

lower_snapshot
fs_mount

test_fs 'a file in upper hides the lower file of that name' '
	expect "ok upper a" read "$M/a"
'

test_fs 'a whiteout hides a lower file from lookup and readdir' '
	expect ENOENT lstat "$M/b" &&
	! ls_m | grep -qx b
'

test_fs 'a whiteout over a lower directory hides its whole tree' '
	expect ENOENT lstat "$M/gone" &&
	expect ENOENT lstat "$M/gone/deep/g" &&
	! ls_m | grep -qx gone
'

test_fs 'a whiteout with nothing below it is not visible' '
	expect ENOENT lstat "$M/nolower" &&
	! ls_m | grep -qx nolower
'

test_fs 'the root lists each name once, without whiteouts' '
	printf "%s\n" a asdir asfile dir lnk many opq >expect &&
	ls_m >actual &&
	test_cmp expect actual
'

test_fs 'a merged directory lists both layers, each name once' '
	printf "%s\n" sub w x y >expect &&
	ls_m dir >actual &&
	test_cmp expect actual
'

test_fs 'a merged directory reads upper over lower and lower-only entries' '
	expect "ok upper x" read "$M/dir/x" &&
	expect "ok lower y" read "$M/dir/y" &&
	expect "ok upper w" read "$M/dir/w" &&
	expect "ok lower z" read "$M/dir/sub/z"
'

test_fs 'an opaque directory hides everything below it in lower' '
	printf "%s\n" n >expect &&
	ls_m opq >actual &&
	test_cmp expect actual &&
	expect ENOENT lstat "$M/opq/lo" &&
	expect ENOENT lstat "$M/opq/ld" &&
	expect ENOENT lstat "$M/opq/ld/f" &&
	expect "ok upper n" read "$M/opq/n"
'

test_fs 'an upper file over a lower directory is a file, nothing merges' '
	expect "ok type=reg" lstat "$M/asfile" type &&
	expect "ok upper file" read "$M/asfile" &&
	expect ENOTDIR lstat "$M/asfile/f"
'

test_fs 'an upper directory over a lower file shows only upper entries' '
	expect "ok type=dir" lstat "$M/asdir" type &&
	printf "%s\n" u >expect &&
	ls_m asdir >actual &&
	test_cmp expect actual
'

test_fs 'a lower symlink reads back and resolves inside the mount' '
	expect "ok a" readlink "$M/lnk" &&
	expect "ok type=lnk" lstat "$M/lnk" type &&
	expect "ok upper a" read "$M/lnk"
'

test_fs 'lookup of a missing name fails with ENOENT, through a file ENOTDIR' '
	expect ENOENT lstat "$M/nosuch" &&
	expect ENOENT lstat "$M/dir/nosuch" &&
	expect ENOTDIR lstat "$M/a/x"
'

test_fs 'a large merged directory lists every name exactly once' '
	ls -A1 "$M/many" >all &&
	test "$(wc -l <all)" -eq 500 &&
	test -z "$(sort all | uniq -d)" &&
	! grep -qx l0 all && grep -qx l1 all && grep -qx u299 all &&
	! grep -qx l297 all && grep -qx l298 all
'

test_fs 'readdir reports . and .. once and types that match lstat' '
	ls -a1 "$M/dir" | sort >all &&
	test "$(grep -cx "\\.\\.*" all)" -eq 2 &&
	find "$M/dir" "$M/asfile" "$M/asdir" "$M/lnk" -maxdepth 0 -printf "%y\n" >types &&
	printf "%s\n" d f d l >expect &&
	test_cmp expect types
'

test_fs 'a name created while mounted is listed once, in the right place' '
	echo new >"$M/dir/y2" &&
	ls_m dir >actual &&
	printf "%s\n" sub w x y y2 >expect &&
	test_cmp expect actual &&
	test -z "$(ls -A1 "$M" | sort | uniq -d)"
'

test_fs 'nothing was copied up by lookup and readdir alone' '
	test_path_is_missing "$U/dir/y" &&
	test_path_is_missing "$U/dir/sub" &&
	test_path_is_missing "$U/lnk"
'

fs_done
