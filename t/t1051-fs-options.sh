#!/bin/sh
test_description='overpackfs command line: what it refuses, and that a
refusal loses nothing'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
require_root
[ -x "$OVERPACKFS" ] || { echo "Bail out! $OVERPACKFS is not built"; exit 1; }
mkdir -p L M

test_expect_failure_status 'a missing workdir= is a usage error' 2 '
	"$OVERPACKFS" -o lowerdir=L,upperdir=U M
'

test_expect_failure_status 'no mount point is a usage error' 2 '
	mkdir -p U W && "$OVERPACKFS" -o lowerdir=L,upperdir=U,workdir=W
'

test_expect_failure_status 'a bad maxfds is a usage error' 2 '
	"$OVERPACKFS" -o lowerdir=L,upperdir=U,workdir=W,maxfds=3 M
'

test_expect_success 'a workdir holding the upper layer is refused, the layer kept' '
	mkdir -p wk/up && echo precious >wk/up/data &&
	test_expect_code 2 "$OVERPACKFS" \
	    -o "lowerdir=$TRASH/L,upperdir=$TRASH/wk/up,workdir=$TRASH/wk" M &&
	test "$(cat wk/up/data)" = precious &&
	! grep -q " $TRASH/M " /proc/self/mountinfo
'

test_expect_success 'a workdir inside the upper layer is refused' '
	mkdir -p u2/work &&
	test_expect_code 2 "$OVERPACKFS" \
	    -o "lowerdir=$TRASH/L,upperdir=$TRASH/u2,workdir=$TRASH/u2/work" M
'

test_expect_success 'a missing lowerdir is named' '
	test_must_fail "$OVERPACKFS" \
	    -o "lowerdir=$TRASH/nope,upperdir=$TRASH/U,workdir=$TRASH/W" M \
	    2>err &&
	grep -q "cannot open lowerdir .*nope.*No such file" err
'

test_expect_success 'sibling directories mount, and unmount cleanly' '
	"$OVERPACKFS" -o "lowerdir=$TRASH/L,upperdir=$TRASH/U,workdir=$TRASH/W" M &&
	echo hi >M/f && fusermount3 -u M && test "$(cat U/f)" = hi
'

# volatile: the mark is in the work directory while the mount lives and
# gone once it has ended and synced; a mark from another boot is refused.
wait_gone() {
	_i=0
	while [ -e "$1" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ ! -e "$1" ]
}
boot=$(cat /proc/sys/kernel/random/boot_id)
test_expect_success 'volatile marks the work directory until it ends' '
	mkdir -p vu vw &&
	"$OVERPACKFS" -o "lowerdir=$TRASH/L,upperdir=$TRASH/vu,workdir=$TRASH/vw,volatile" M &&
	test "$(cat vw/volatile)" = "$boot" &&
	echo data >M/f && sync M/f && sync -f M &&
	fusermount3 -u M && wait_gone vw/volatile &&
	test "$(cat vu/f)" = data
'
test_expect_success 'a mark from another boot is refused, volatile or not' '
	echo 00000000-0000-0000-0000-000000000000 >vw/volatile &&
	test_must_fail "$OVERPACKFS" \
	    -o "lowerdir=$TRASH/L,upperdir=$TRASH/vu,workdir=$TRASH/vw,volatile" M \
	    2>err &&
	grep -q "upperdir .*vu. was being written by a volatile mount when the machine went down" err &&
	grep -q "remove .*vw/volatile. to mount it anyway" err &&
	test_must_fail "$OVERPACKFS" \
	    -o "lowerdir=$TRASH/L,upperdir=$TRASH/vu,workdir=$TRASH/vw" M 2>err &&
	grep -q "went down" err &&
	! grep -q " $TRASH/M " /proc/self/mountinfo &&
	test "$(cat vu/f)" = data
'
test_expect_success 'a mark from this boot (a killed daemon) is synced and taken over' '
	echo "$boot" >vw/volatile &&
	"$OVERPACKFS" -o "lowerdir=$TRASH/L,upperdir=$TRASH/vu,workdir=$TRASH/vw" M &&
	test_path_is_missing vw/volatile &&
	test "$(cat M/f)" = data &&
	fusermount3 -u M
'

test_done
