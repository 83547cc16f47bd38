#!/bin/sh
test_description='overpack run: options, exit statuses, namespaces and the mounts of the view'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/run-lib.sh"
run_require

test_cleanup_extra='rm -f /tmp/overpack-t2001.*'
run_mounts >mounts.before

test_expect_success '--help prints the synopsis and exits 0' '
	"$OVERPACK" run --help >out &&
	grep -q "^usage: overpack run \[-o FILE\]" out
'
test_expect_failure_status 'an unknown option exits 2' 2 '
	"$OVERPACK" run --no-such-option -- true
'
test_expect_failure_status 'no command exits 2' 2 '
	"$OVERPACK" run
'
test_expect_failure_status '-f without -o exits 2' 2 '
	"$OVERPACK" run -f tar -- true
'
test_expect_success 'the command runs; its exit status is overpack'"'"'s' '
	"$OVERPACK" run -- sh -c "echo ran" >out 2>err &&
	test "$(cat out)" = ran &&
	grep -q "^overpack: upper layer kept in $TMPDIR/overpack\.[^/]*/upper$" err &&
	{ "$OVERPACK" run -- sh -c "exit 42" 2>/dev/null; test $? -eq 42; }
'
test_expect_success 'a command killed by signal N gives 128+N' '
	{ "$OVERPACK" run -- sh -c "kill -TERM \$\$" 2>/dev/null; test $? -eq 143; } &&
	{ "$OVERPACK" run -- sh -c "kill -KILL \$\$" 2>/dev/null; test $? -eq 137; }
'
test_expect_failure_status 'a missing command exits 127' 127 '
	"$OVERPACK" run -- no-such-command-overpack 2>err;
	st=$?; grep -q "^overpack: no-such-command-overpack: command not found" err &&
	exit $st
'
test_expect_failure_status 'a command that cannot be executed exits 126' 126 '
	"$OVERPACK" run -- /etc/passwd 2>err;
	st=$?; grep -q "^overpack: cannot execute ./etc/passwd.: Permission denied" err &&
	exit $st
'
test_expect_success 'the command is pid 2 of its own pid namespace, with a fresh /proc' '
	"$OVERPACK" run -- sh -c "echo \$\$; cat /proc/1/comm; ls /proc | grep -c \"^[0-9]\"" >out 2>/dev/null &&
	test "$(sed -n 1p out)" = 2 &&
	test "$(sed -n 2p out)" = overpack &&
	test "$(sed -n 3p out)" -lt 10
'
test_expect_success 'no network but a working lo by default' '
	"$OVERPACK" run -- ip -o link >out 2>/dev/null &&
	test "$(wc -l <out)" -eq 1 &&
	grep -q "^1: lo: <LOOPBACK,UP" out &&
	ip -o link | wc -l >host.n &&
	if [ "$(cat host.n)" -gt 1 ]; then
		! cmp -s out host.n
	fi
'
test_expect_success '--network shares the host'"'"'s interfaces' '
	ip -o link | cut -d: -f2 >host &&
	"$OVERPACK" run --network -- ip -o link 2>/dev/null | cut -d: -f2 >inside &&
	test_cmp host inside &&
	"$OVERPACK" run -- ip -o link 2>/dev/null | cut -d: -f2 >alone &&
	test "$(cat alone)" = " lo"
'
test_expect_success 'the working directory is bind-mounted, not captured' '
	"$OVERPACK" run -u up -- sh -c "echo data >in-cwd; pwd" >out &&
	test "$(cat out)" = "$TRASH" &&
	test "$(cat in-cwd)" = data &&
	test_path_is_missing "up$TRASH/in-cwd" &&
	test_path_is_missing "up$TRASH"
'
test_expect_success '/tmp is a fresh tmpfs, not captured' '
	echo host >/tmp/overpack-t2001.$$ &&
	"$OVERPACK" run -u up -- sh -c "
		test ! -e /tmp/overpack-t2001.$$ &&
		stat -f -c %T /tmp | grep -qx tmpfs &&
		test \$(stat -c %a /tmp) = 1777 &&
		echo x >/tmp/overpack-t2001-scratch.$$" &&
	test_path_is_missing /tmp/overpack-t2001-scratch.$$ &&
	test_path_is_missing up/tmp
'
test_expect_success '/sys is read-only and /dev has devices' '
	"$OVERPACK" run -- sh -c "
		test -c /dev/null && echo >/dev/null &&
		! touch /sys/overpack-test 2>/dev/null &&
		grep -q \" /sys sysfs ro,\" /proc/mounts"
'
test_expect_success '--bind mounts a host directory; its mount point is not captured' '
	mkdir -p src && echo s >src/f &&
	"$OVERPACK" run -u up --bind "$TRASH/src:/opt/overpack-t2001/b" -- \
		sh -c "cat /opt/overpack-t2001/b/f && echo w >/opt/overpack-t2001/b/g" >out &&
	test "$(cat out)" = s &&
	test "$(cat src/g)" = w &&
	test_path_is_missing /opt/overpack-t2001 &&
	test_path_is_missing up/opt/overpack-t2001 &&
	{ ! test -d up/opt || ls -A up/opt | { ! grep -q .; }; }
'
test_expect_success '--bind SRC alone mounts at the same path; files can be bound' '
	echo file >bfile &&
	"$OVERPACK" run -u up --bind "$TRASH/src" --bind "$TRASH/bfile:/etc/overpack-t2001" -- \
		sh -c "cat \"$TRASH/src/f\" /etc/overpack-t2001" >out &&
	printf "s\nfile\n" >expect && test_cmp expect out &&
	test_path_is_missing /etc/overpack-t2001 &&
	test_path_is_missing up/etc/overpack-t2001
'
test_expect_failure_status 'a missing --bind source exits 2 and names it' 2 '
	"$OVERPACK" run --bind "$TRASH/nonexistent:/x" -- true 2>err;
	st=$?; grep -q "nonexistent" err && exit $st
'
test_expect_failure_status 'an upper layer that is the base root exits 2' 2 '
	"$OVERPACK" run -u / -- true
'
test_expect_failure_status 'a base root inside the upper layer exits 2' 2 '
	mkdir -p r &&
	"$OVERPACK" run -u "$TRASH" --root r -- true 2>err;
	st=$?; grep -q "inside the upper layer" err && exit $st
'
test_expect_failure_status 'a working directory inside the upper layer exits 2' 2 '
	mkdir -p up2/sub && cd up2/sub &&
	"$OVERPACK" run -u "$TRASH/up2" -- true 2>"$TRASH/err";
	st=$?; grep -q "working directory" "$TRASH/err" && exit $st
'
test_expect_success 'no mount of a session is left on the host' '
	no_overpack_mounts &&
	run_mounts >mounts.after &&
	test_cmp mounts.before mounts.after
'
test_done
