#!/bin/sh
test_description='overpack diff --base and -p: unified diffs, binary files'
. "$top_srcdir/t/test-lib.sh"

command -v diff >/dev/null || skip_all "needs diff"

test_expect_success 'build a base and an upper layer' '
	mkdir -p base/etc up/etc &&
	printf "one\ntwo\n" >base/etc/text && printf "one\nthree\n" >up/etc/text &&
	printf "a\000b" >base/etc/bin && printf "a\000cd" >up/etc/bin &&
	echo same >base/etc/mode && cp -p base/etc/mode up/etc/mode &&
	chmod 0600 up/etc/mode &&
	echo new >up/etc/new
'

test_expect_success '--base is --root' '
	"$OVERPACK" diff --root base up >root.out &&
	"$OVERPACK" diff --base base up >base.out &&
	test_cmp root.out base.out && grep -x "A ./etc/new" base.out
'

test_expect_success '-p follows an M line with a unified diff' '
	"$OVERPACK" diff -p --base base up >got &&
	sed -n "/^M .\/etc\/text$/,\$p" got >text.out &&
	cat >expect <<-\EOT &&
	M ./etc/text
	--- a/etc/text
	+++ b/etc/text
	@@ -1,2 +1,2 @@
	 one
	-two
	+three
	EOT
	test_cmp expect text.out
'

test_expect_success '-p: a binary file is one line with sizes and sha256' '
	old=$(sha256sum <base/etc/bin | cut -d" " -f1) &&
	new=$(sha256sum <up/etc/bin | cut -d" " -f1) &&
	grep -A1 -x "M ./etc/bin" got | tail -n 1 >bin.out &&
	echo "Binary files differ: 3 -> 4 bytes, sha256 $old -> $new" >expect &&
	test_cmp expect bin.out
'

test_expect_success '-p adds nothing after A and m lines' '
	grep -A1 -x "A ./etc/new" got | tail -n 1 | grep -q "^[AMmDTR] \./" ||
	test "$(tail -n 1 got)" = "A ./etc/new" &&
	grep -A1 -x "m ./etc/mode (mode)" got | tail -n 1 | grep -q "^[AMmDTR] \./"
'

test_expect_success 'without -p there is no patch (must fail to find one)' '
	"$OVERPACK" diff --base base up >plain &&
	! grep -q "^---" plain && test "$(wc -l <plain)" -eq 4
'

test_expect_failure_status '-p with --json is a usage error' 2 '
	"$OVERPACK" diff -p --json --base base up
'

test_expect_failure_status '--base needs an argument' 2 '
	"$OVERPACK" diff up --base
'

test_done
