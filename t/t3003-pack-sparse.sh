#!/bin/sh
test_description='overpack pack: sparse files stay sparse'
. "$top_srcdir/t/test-lib.sh"

command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"

test_expect_success 'make sparse files' '
	mkdir up base &&
	truncate -s 64M up/holes &&
	printf middle | dd of=up/holes bs=1 seek=30000000 conv=notrunc 2>/dev/null &&
	printf start | dd of=up/start bs=1 2>/dev/null &&
	truncate -s 32M up/start &&
	truncate -s 16M up/empty &&
	dd if=/dev/urandom of=up/dense bs=4096 count=8 2>/dev/null &&
	blocks=$(du -k up/holes | cut -f1) &&
	if [ "$blocks" -ge 1024 ]; then
		echo "the file system here does not make holes"; false
	fi
'

test_expect_success 'the archive records a sparse map, not the holes' '
	"$OVERPACK" pack -o out.tar --root base up &&
	grep -a "GNU.sparse.major=1" out.tar &&
	test "$(stat -c %s out.tar)" -lt 1048576
'

test_expect_success 'extracted files have the same bytes' '
	mkdir x && bsdtar -xpf out.tar -C x &&
	cmp up/holes x/holes && cmp up/start x/start &&
	cmp up/empty x/empty && cmp up/dense x/dense &&
	test "$(stat -c %s x/holes)" = 67108864
'

test_expect_success 'extracted sparse files are still sparse' '
	test "$(du -k x/holes | cut -f1)" -lt 1024 &&
	test "$(du -k x/empty | cut -f1)" -lt 1024
'

test_expect_success 'a dense file gets no sparse map (must fail to match)' '
	mkdir up2 && cp up/dense up2/dense &&
	"$OVERPACK" pack -o dense.tar --root base up2 &&
	! grep -a "GNU.sparse" dense.tar
'

test_done
