#!/bin/sh
test_description='overpack pack: whiteouts, opaque and renamed directories'
. "$top_srcdir/t/test-lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (mknod, trusted.* xattrs)"
command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"

test_expect_success 'build a base and an upper layer with deletions' '
	mkdir -p base/etc base/opq/sub base/old/keep base/gone &&
	echo a >base/etc/a && echo b >base/etc/b &&
	echo h >base/opq/hidden && echo s >base/opq/sub/s &&
	echo l >base/old/lower && echo k >base/old/keep/k &&
	echo w >base/old/whited && echo g >base/gone/g &&
	mkdir -p up/etc up/opq up/new &&
	mknod up/etc/b c 0 0 &&
	mknod up/gone c 0 0 &&
	setfattr -n trusted.overlay.opaque -v y up/opq &&
	echo fresh >up/opq/fresh &&
	mkdir up/opq/sub && echo s2 >up/opq/sub/s2 &&
	setfattr -n trusted.overlay.redirect -v /old up/new &&
	mknod up/old c 0 0 &&
	mknod up/new/whited c 0 0 &&
	echo upper >up/new/lower
'

test_expect_success 'pack warns and writes the manifest' '
	"$OVERPACK" pack -o out.tar --root base up 2>err &&
	grep -x "overpack: 6 deletions cannot be represented in out.tar; listed in out.tar.deleted" err &&
	test_path_is_file out.tar.deleted
'


test_expect_success 'the manifest is exactly the top-most deletions, in walk order' '
	cat >expect <<-\EOT &&
	./etc/b
	./gone
	./new/whited
	./old
	./opq/hidden
	./opq/sub/s
	EOT
	test_cmp expect out.tar.deleted
'

test_expect_success 'a renamed directory carries its merged lower contents' '
	bsdtar -tf out.tar >names &&
	grep -qx "./new/keep/k" names &&
	grep -qx "./new/lower" names &&
	! grep -q "whited" names &&
	! grep -q "^./old" names &&
	test "$(bsdtar -xOf out.tar ./new/lower)" = upper &&
	test "$(bsdtar -xOf out.tar ./new/keep/k)" = k
'

test_expect_success 'lower entries of a plain directory are not packed' '
	! grep -qx "./etc/a" names
'

test_expect_success 'applying manifest then package gives the merged view' '
	cp -a base applied &&
	while read -r p; do rm -rf "applied/$p"; done <out.tar.deleted &&
	bsdtar -xpf out.tar -C applied &&
	(cd applied && find . | sort) >got &&
	cat >expect <<-\EOT &&
	.
	./etc
	./etc/a
	./new
	./new/keep
	./new/keep/k
	./new/lower
	./opq
	./opq/fresh
	./opq/sub
	./opq/sub/s2
	EOT
	test_cmp expect got
'

test_expect_success 'no deletions: no manifest, and a stale one is removed' '
	mkdir up2 && echo x >up2/x &&
	cp out.tar.deleted stale.tar.deleted &&
	"$OVERPACK" pack -o stale.tar --root base up2 2>err &&
	test_path_is_missing stale.tar.deleted &&
	! grep deletion err
'

test_expect_success 'a dangling redirect is a warning and exit 1' '
	mkdir -p up3/moved && echo m >up3/moved/m &&
	setfattr -n trusted.overlay.redirect -v /nowhere up3/moved &&
	test_expect_code_1() { "$@"; test $? -eq 1; } &&
	test_expect_code_1 "$OVERPACK" pack -o d.tar --root base up3 2>err &&
	grep "moved" err && test_path_is_file d.tar
'

test_done
