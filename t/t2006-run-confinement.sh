#!/bin/sh
test_description='overpack run keeps the command away from the host (the
base is read-only to the filesystem itself, /proc/1/root leads nowhere, and
cleaning up mount points follows no symlink the command planted), and
refuses bad packing options before the command runs'
. "$top_srcdir/t/test-lib.sh"
. "$top_srcdir/t/run-lib.sh"
require_root
command -v python3 >/dev/null || skip_all "needs python3"

test_expect_success 'the lower layer the daemon reads is a read-only mount' '
	"$OVERPACK" run -- sleep 3 &
	p=$! && sleep 1.5 &&
	i=$(pgrep -P $p | head -n 1) && test -n "$i" &&
	python3 - "$i" <<-\EOT &&
	import os, sys
	pid = sys.argv[1]
	fds = os.listdir("/proc/%s/fd" % pid)
	roots = [f for f in fds
	         if os.readlink("/proc/%s/fd/%s" % (pid, f)) == "/"
	         and os.path.isdir("/proc/%s/fd/%s" % (pid, f))]
	assert roots, "no fd on the base root"
	for f in roots:
	    st = os.statvfs("/proc/%s/fd/%s" % (pid, f))
	    assert st.f_flag & os.ST_RDONLY, "fd %s is writable" % f
	EOT
	wait $p
'

test_expect_success '/proc/1/root shows nothing of the host' '
	"$OVERPACK" run -u up -- sh -c "
		! test -e /proc/1/root/etc &&
		! test -e /proc/1/root/tmp &&
		! echo x >/proc/1/root/escape 2>/dev/null" &&
	test_path_is_missing /escape
'

test_expect_success 'a must-fail check: the view itself does have /etc' '
	test_must_fail "$OVERPACK" run -- sh -c "! test -e /etc"
'

test_expect_success 'mount-point cleanup does not follow a planted symlink' '
	mkdir -p src victim/data &&
	"$OVERPACK" run -u up2 --bind "$TRASH/src:/opt/overpack-t2006/data" \
	    -- sh -c "mv /opt/overpack-t2006 /opt/overpack-t2006.old &&
		ln -s $TRASH/victim /opt/overpack-t2006" &&
	test_path_is_dir victim/data
'

test_expect_success 'a bad -f or output directory is refused before the command runs' '
	mkdir t5 &&
	TMPDIR=$TRASH/t5 test_expect_code 2 "$OVERPACK" run -o x.tar -f bogus -- \
	    sh -c "echo ran >$TRASH/ran" &&
	test_path_is_missing ran &&
	test_expect_code 2 "$OVERPACK" run -o "$TRASH/nodir/x.tar" -- \
	    sh -c "echo ran >$TRASH/ran" &&
	test_path_is_missing ran &&
	test -z "$(ls t5)"
'

test_expect_success 'a failed command is said so, and nothing is packed' '
	test_expect_code 3 "$OVERPACK" run -o y.tar -- sh -c "exit 3" 2>err &&
	grep -q "the command failed (exit status 3); not packing" err &&
	test_path_is_missing y.tar
'

test_done
