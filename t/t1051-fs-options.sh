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

test_done
