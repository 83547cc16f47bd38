#!/bin/sh
test_description='overpack pack -f oci, oci+gzip: whiteouts, opaque markers, diff_id'
. "$top_srcdir/t/test-lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (mknod, trusted.* xattrs)"
command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"

test_expect_success 'build a base and an upper layer with deletions' '
	mkdir -p base/etc base/opq/sub base/gone base/usr/lib &&
	echo a >base/etc/a && echo b >base/etc/b && echo h >base/opq/hidden &&
	echo s >base/opq/sub/s && echo g >base/gone/g && echo l >base/usr/lib/l &&
	mkdir -p up/etc up/opq/sub up/usr/lib &&
	mknod up/etc/b c 0 0 &&
	mknod up/gone c 0 0 &&
	mknod up/usr/lib/never c 0 0 &&
	echo new >up/etc/new &&
	setfattr -n trusted.overlay.opaque -v y up/opq &&
	mknod up/opq/hidden c 0 0 &&
	echo s2 >up/opq/sub/s2 &&
	setfattr -n user.note -v kept up/etc/new
'

test_expect_success 'pack an oci layer: the diff_id is printed and written' '
	"$OVERPACK" pack -f oci -o layer.tar --root base up >out 2>err &&
	test_path_is_file layer.tar &&
	test_path_is_missing layer.tar.deleted &&
	! grep -q deletion err &&
	echo "sha256:$(sha256sum <layer.tar | cut -d" " -f1)" >expect &&
	test_cmp expect layer.tar.diffid &&
	test_cmp expect out
'

test_expect_success 'whiteouts and the opaque marker, in walk order' '
	bsdtar -tf layer.tar >names &&
	cat >expect <<-\EOT &&
	./etc/
	./etc/.wh.b
	./etc/new
	./.wh.gone
	./opq/
	./opq/.wh..wh..opq
	./opq/sub/
	./opq/sub/s2
	EOT
	test_cmp expect names
'

test_expect_success 'whiteouts are empty regular files owned by root' '
	bsdtar -tvf layer.tar ./etc/.wh.b ./opq/.wh..wh..opq >wh &&
	awk "{ print \$1, \$3, \$4, \$5 }" wh >got &&
	printf "%s\n" "-rw-r--r-- root root 0" "-rw-r--r-- root root 0" >expect &&
	test_cmp expect got
'

test_expect_success 'nothing below an opaque directory is whited out one by one' '
	! grep -q "opq/.wh.hidden" names &&
	! grep -q "opq/sub/.wh" names
'

test_expect_success 'a whiteout of nothing in the base is left out' '
	! grep -q never names
'

test_expect_success 'extended attributes are kept (pax)' '
	mkdir x && bsdtar -xpf layer.tar -C x --xattrs &&
	test "$(getfattr --only-values -n user.note x/etc/new)" = kept
'

test_expect_success 'oci+gzip: gzip of the same tar, same diff_id, no time stamp' '
	"$OVERPACK" pack -f oci+gzip -o layer.tar.gz --root base up >out &&
	gzip -t layer.tar.gz &&
	gzip -dc layer.tar.gz | cmp - layer.tar &&
	test_cmp layer.tar.diffid layer.tar.gz.diffid &&
	test "$(od -An -tx1 -j4 -N4 layer.tar.gz | tr -d " ")" = 00000000
'

test_expect_success 'python reads the layer: whiteouts are what the spec names' '
	python3 -c "
import tarfile, sys
names = [m.name for m in tarfile.open(sys.argv[1])]
wh = [n for n in names if n.rsplit(\"/\", 1)[-1].startswith(\".wh.\")]
assert wh == [\"./etc/.wh.b\", \"./.wh.gone\", \"./opq/.wh..wh..opq\"], wh
" layer.tar.gz
'

test_expect_success 'same layer and SOURCE_DATE_EPOCH give the same bytes' '
	SOURCE_DATE_EPOCH=1700000000 "$OVERPACK" pack -f oci+gzip -o d1 --root base up &&
	sleep 1 && touch up/etc/new &&
	SOURCE_DATE_EPOCH=1700000000 "$OVERPACK" pack -f oci+gzip -o d2 --root base up &&
	cmp d1 d2 && cmp d1.diffid d2.diffid
'

test_expect_success 'hard links stay hard links; a capability is kept' '
	mkdir -p base2 up2/bin &&
	echo tool >up2/bin/tool && ln up2/bin/tool up2/bin/tool2 &&
	setfattr -n security.capability \
	    -v 0x0000000200200000000000000000000000000000 up2/bin/tool &&
	"$OVERPACK" pack -f oci -o l2.tar --root base2 up2 >/dev/null &&
	python3 - l2.tar <<-\EOT
	import sys, tarfile
	m = {i.name: i for i in tarfile.open(sys.argv[1])}
	assert m["./bin/tool"].isfile(), m
	assert m["./bin/tool2"].islnk(), m["./bin/tool2"].type
	assert m["./bin/tool2"].linkname == "./bin/tool", m["./bin/tool2"].linkname
	cap = m["./bin/tool"].pax_headers["SCHILY.xattr.security.capability"]
	assert cap.encode("utf-8", "surrogateescape") == bytes.fromhex(
	    "0000000200200000000000000000000000000000"), cap
	EOT
	mkdir x2 && bsdtar -xpf l2.tar -C x2 --xattrs &&
	test "$(stat -c %h x2/bin/tool)" = 2 &&
	getfattr -e hex -n security.capability x2/bin/tool | grep -q =0x0000000200200000
'

test_expect_failure_status 'an unknown format is a usage error' 2 '
	"$OVERPACK" pack -f oci+zstd -o bad --root base up
'

test_expect_success 'and leaves no file' '
	test_path_is_missing bad && test_path_is_missing bad.diffid
'

test_done
