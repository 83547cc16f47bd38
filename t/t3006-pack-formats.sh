#!/bin/sh
test_description='overpack pack: tar, tar.gz, tar.xz, tar.zst, -f and suffixes'
. "$top_srcdir/t/test-lib.sh"

command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"

magic() { od -An -tx1 -N6 "$1" | tr -d " "; }

test_expect_success 'build an upper layer' '
	mkdir -p up/etc base && echo hello >up/etc/hello
'

test_expect_success 'the format is guessed from the suffix' '
	"$OVERPACK" pack -o p.tar --root base up &&
	"$OVERPACK" pack -o p.tgz --root base up &&
	"$OVERPACK" pack -o p.tar.xz --root base up &&
	"$OVERPACK" pack -o p.tar.zst --root base up &&
	"$OVERPACK" pack -o p.unknown --root base up &&
	magic p.tar.xz | grep -q "^fd377a585a00" &&
	magic p.tar.zst | grep -q "^28b52ffd" &&
	magic p.tgz | grep -q "^1f8b" &&
	magic p.unknown | grep -q "^1f8b" &&
	od -An -c -j257 -N5 p.tar | tr -d " " | grep -q ustar
'

test_expect_success '-f overrides the suffix' '
	"$OVERPACK" pack -f tar.xz -o f.tar --root base up &&
	magic f.tar | grep -q "^fd377a585a00" &&
	"$OVERPACK" pack -f tgz -o f2 --root base up &&
	magic f2 | grep -q "^1f8b" &&
	"$OVERPACK" pack -f tar -o f3.tar.gz --root base up &&
	! magic f3.tar.gz | grep -q "^1f8b"
'

test_expect_success 'every format unpacks to the same content' '
	for f in p.tar p.tgz p.tar.xz p.tar.zst; do
		rm -rf x && mkdir x && bsdtar -xf $f -C x &&
		test "$(cat x/etc/hello)" = hello || return 1
	done
'

test_expect_success 'compressed output passes the compressors own checks' '
	gzip -t p.tgz && gzip -dc p.tgz | tar -tf - | grep -q "^./etc/hello$" &&
	xz -t p.tar.xz &&
	if command -v zstd >/dev/null; then zstd -q -t p.tar.zst; fi
'

test_expect_failure_status 'an unknown -f is a usage error' 2 '
	"$OVERPACK" pack -f zip -o z.zip --root base up
'

test_expect_success 'and leaves no file' '
	test_path_is_missing z.zip
'

test_done
