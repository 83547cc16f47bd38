#!/bin/sh
test_description='overpack run without root: each thing a machine can forbid gets a message that says what to change'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/user-lib.sh"
user_require

U=$OPT_USER
N=$OPT_NOSUB
ns=/proc/sys/user/max_user_namespaces

test_expect_success 'doctor says what works, with subordinate ids' '
	as $U "$OVERPACK" doctor >doc &&
	grep -E "^/dev/fuse +yes" doc &&
	grep -E "^user namespaces +yes" doc &&
	grep -E "^subordinate ids +yes +uid 300000-365535" doc
'
test_expect_success 'no /dev/fuse access: exit 125, and what to change' '
	mknod fuse600 c 10 229 && chmod 600 fuse600 &&
	test_expect_code 125 unshare --mount sh -c "
		mount --bind $TRASH/fuse600 /dev/fuse &&
		cd $TRASH/$U && exec setpriv --reuid=$U --regid=$U \
			--clear-groups $OVERPACK run -u up -- true" 2>err &&
	grep -q "cannot open .*/dev/fuse.*: Permission denied.*chmod 0666 /dev/fuse" err &&
	test_path_is_missing $U/up &&
	unshare --mount sh -c "
		mount --bind $TRASH/fuse600 /dev/fuse &&
		cd $TRASH/$U && exec setpriv --reuid=$U --regid=$U \
			--clear-groups $OVERPACK doctor" >doc2;
	grep -E "^/dev/fuse +no +Permission denied" doc2
'
# Needs a writable /proc/sys; a container may not give one.
if ! ( : >>$ns ) 2>/dev/null; then
	test_skip "user namespaces off: $ns is not writable here"
else
test_expect_success 'user namespaces off: exit 125, and the sysctl to set' '
	old=$(cat $ns) &&
	echo 0 >$ns &&
	{ as $U "$OVERPACK" run -u up -- true 2>err; st=$?; } ;
	echo "$old" >$ns &&
	test "$st" = 125 &&
	grep -q "user.max_user_namespaces" err &&
	grep -q "sysctl -w user.max_user_namespaces" err &&
	test_path_is_missing $U/up
'
fi
test_expect_success 'without subordinate ids: a warning that says how to add them' '
	as $N "$OVERPACK" run -u up -- true 2>err &&
	grep -q "only root is mapped" err &&
	grep -q "usermod --add-subuids" err &&
	as $N "$OVERPACK" doctor >doc3 &&
	grep -E "^subordinate ids +no +no subordinate ids for .$N." doc3
'
test_expect_success 'without subordinate ids switching to another user fails, and nothing is packed' '
	test_expect_code 127 as $N "$OVERPACK" run -o "$TRASH/$N/p.tar" -u up2 -- \
		sh -c "echo x >/etc/optest && setpriv --reuid=2 true" 2>err &&
	grep -q "setpriv: setresuid failed: Invalid argument" err &&
	grep -q "not packing" err &&
	test_path_is_missing $N/p.tar
'
test_expect_success 'nothing of the session stays mounted' '
	no_overpack_mounts
'
test_done
