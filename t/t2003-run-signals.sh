#!/bin/sh
test_description='overpack run: signals reach the command; kill -9 of overpack leaves nothing behind'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/run-lib.sh"
run_require

# A string no other process has in its command line.
MARK=overpack-t2003-$$-mark
test_cleanup_extra='pkill -KILL -f "$MARK" 2>/dev/null'
run_mounts >mounts.before

test_expect_success 'SIGTERM sent to overpack reaches the command' '
	"$OVERPACK" run -- sh -c "
		trap \"echo term >got; exit 7\" TERM
		echo >ready
		while :; do sleep 0.1; done" "$MARK" >out 2>&1 &
	pid=$! &&
	wait_for 100 test -e ready &&
	kill -TERM $pid &&
	{ wait $pid; test $? -eq 7; } &&
	test "$(cat got)" = term
'
test_expect_success 'the command dies of a forwarded SIGHUP: 129' '
	rm -f ready
	"$OVERPACK" run -- sh -c "echo >ready; while :; do sleep 0.1; done" \
		"$MARK" >out 2>&1 &
	pid=$! &&
	wait_for 100 test -e ready &&
	kill -HUP $pid &&
	{ wait $pid; test $? -eq 129; }
'
test_expect_success 'kill -9 of overpack: no mount, no process left, the upper layer intact' '
	rm -f ready
	"$OVERPACK" run -u up -- sh -c "
		mkdir -p /opt/$MARK && echo >ready && i=0
		while :; do
			echo \$i >/opt/$MARK/f\$i; i=\$((i + 1)); sleep 0.05
		done" "$MARK" >out 2>&1 &
	pid=$! &&
	wait_for 100 test -e ready &&
	wait_for 100 test -e "up/opt/$MARK/f5" &&
	kill -KILL $pid &&
	{ wait $pid; test $? -eq 137; } &&
	wait_for 50 eval "! pgrep -f \"\$MARK\" >/dev/null" &&
	no_overpack_mounts &&
	run_mounts >mounts.after &&
	test_cmp mounts.before mounts.after &&
	test_path_is_missing "/opt/$MARK" &&
	n=0 && while [ -e "up/opt/$MARK/f$n" ]; do
		test "$(cat "up/opt/$MARK/f$n")" = "$n" || exit 1
		n=$((n + 1))
	done &&
	test $n -ge 5 &&
	test "$(ls "up/opt/$MARK" | wc -l)" -le $((n + 1))
'
test_expect_success 'control: the check above does find a running session' '
	rm -f ready
	"$OVERPACK" run -- sh -c "echo >ready; sleep 30" "$MARK" >out 2>&1 &
	pid=$! &&
	wait_for 100 test -e ready &&
	pgrep -f "$MARK" >/dev/null; st=$?
	kill -KILL $pid; wait $pid
	wait_for 50 eval "! pgrep -f \"\$MARK\" >/dev/null" && test $st -eq 0
'
test_expect_success 'an overlay that dies is reported: exit 125, the layer intact' '
	rm -f ready
	"$OVERPACK" run -u up -- sh -c "echo kept >/opt/$MARK/last; echo >ready; sleep 30" \
		"$MARK" >out 2>err &
	pid=$! &&
	wait_for 100 test -e ready &&
	kill -KILL $(pgrep -P $pid) &&
	{ wait $pid; test $? -eq 125; } &&
	grep -q "^overpack: the overlay filesystem died (SIGKILL); the upper layer is intact in .$TRASH/up.$" err &&
	test "$(cat "up/opt/$MARK/last")" = kept &&
	no_overpack_mounts
'
test_expect_success 'a signal the caller ignores stays ignored in the command (nohup)' '
	(trap "" HUP && "$OVERPACK" run -u up-ign -- \
	    sh -c "grep ^SigIgn: /proc/self/status") >ign &&
	"$OVERPACK" run -u up-ign -- sh -c "grep ^SigIgn: /proc/self/status" >dfl &&
	grep -q "^SigIgn:.*1$" ign &&
	! grep -q "^SigIgn:.*[13579bdf]$" dfl
'

test_done
