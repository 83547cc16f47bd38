#!/bin/sh
test_description='overpack pack: the same layer gives the same bytes'
. "$top_srcdir/t/test-lib.sh"

command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"

test_expect_success 'build an upper layer' '
	mkdir -p up/a/b up/z base &&
	for n in q w e r t y u i o p; do echo $n >up/a/$n; done &&
	echo x >up/z/x && ln -s x up/z/l && ln up/a/q up/z/hard &&
	touch -d "2030-01-01 00:00:00" up/a/q
'

test_expect_success 'two packs are byte-identical (tar.gz)' '
	"$OVERPACK" pack -o one.tar.gz --root base up &&
	sleep 1 &&
	"$OVERPACK" pack -o two.tar.gz --root base up &&
	cmp one.tar.gz two.tar.gz
'

test_expect_success 'the gzip header has mtime 0' '
	test "$(od -An -tx1 -j4 -N4 one.tar.gz | tr -d " ")" = 00000000
'

test_expect_success 'two packs are byte-identical (tar, tar.xz)' '
	"$OVERPACK" pack -o one.tar --root base up &&
	"$OVERPACK" pack -o two.tar --root base up &&
	cmp one.tar two.tar &&
	"$OVERPACK" pack -o one.tar.xz --root base up &&
	"$OVERPACK" pack -o two.tar.xz --root base up &&
	cmp one.tar.xz two.tar.xz
'

test_expect_success 'a copy of the layer in another place packs the same' '
	cp -a up up2 &&
	touch -r up up2 &&
	"$OVERPACK" pack -o copy.tar --root base up2 &&
	cmp one.tar copy.tar
'

test_expect_success 'entries are sorted bytewise, parents first' '
	bsdtar -tf one.tar >names &&
	cat >expect <<-\EOT &&
	./a/
	./a/b/
	./a/e
	./a/i
	./a/o
	./a/p
	./a/q
	./a/r
	./a/t
	./a/u
	./a/w
	./a/y
	./z/
	./z/hard
	./z/l
	./z/x
	EOT
	test_cmp expect names
'

test_expect_success 'SOURCE_DATE_EPOCH clamps later mtimes only' '
	touch -d "1990-01-01 00:00:00" up/a/w &&
	SOURCE_DATE_EPOCH=946684800 "$OVERPACK" pack -o clamp.tar --root base up &&
	mkdir x && bsdtar -xpf clamp.tar -C x &&
	test "$(stat -c %Y x/a/q)" = 946684800 &&
	test "$(stat -c %Y x/a/w)" = 631152000
'

test_expect_success 'without SOURCE_DATE_EPOCH the mtime is kept (must differ)' '
	"$OVERPACK" pack -o noclamp.tar --root base up &&
	! cmp -s clamp.tar noclamp.tar &&
	mkdir y && bsdtar -xpf noclamp.tar -C y &&
	test "$(stat -c %Y y/a/q)" = "$(stat -c %Y up/a/q)"
'

test_expect_failure_status 'a bad SOURCE_DATE_EPOCH is refused' 2 '
	SOURCE_DATE_EPOCH=yesterday "$OVERPACK" pack -o bad.tar --root base up
'

test_done
