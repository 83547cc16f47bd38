#!/bin/sh
test_description='overpack run without root: --trace logs what the command read, with its programs, and --only restricts the view'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/user-lib.sh"
user_require
[ -r /var/lib/dpkg/status ] || skip_all "needs a dpkg database"
dpkg-query -W -f '${db:Status-Abbrev}' coreutils 2>/dev/null |
	grep -q '^ii' || skip_all "needs coreutils from dpkg"
test_path_is_file /usr/bin/gcc >/dev/null || skip_all "needs gcc installed"

U=$OPT_USER
OVERPACK_CACHE=$TRASH/cache
export OVERPACK_CACHE

# "OP TYPE EXE PATH" of the records of the command itself, not of
# overpack's own set-up before the exec.
records() {
	awk -F'\t' '!/^#/ && $5 != "'"$OVERPACK"'" { print $3, $4, $5, $6 }' "$1" |
		sort -u
}

test_expect_success 'the trace names the programs, as the namespace numbers them' '
	as $U "$OVERPACK" run -u up --trace "$TRASH/$U/t1" -- sh -c \
		"cat /etc/hostname >/dev/null; ls /no-such-t6005 2>/dev/null; true" &&
	records $U/t1 >user.rec &&
	grep -qx "lookup f /usr/bin/cat /etc/hostname" user.rec &&
	grep -qx "open f /usr/bin/cat /etc/hostname" user.rec &&
	grep -qx "miss - /usr/bin/ls /no-such-t6005" user.rec &&
	grep -qx "exec f /usr/bin/dash /usr/bin/cat" user.rec
'
test_expect_success 'the same records as a run as root' '
	"$OVERPACK" run -u rootup --trace t2 -- sh -c \
		"cat /etc/hostname >/dev/null; ls /no-such-t6005 2>/dev/null; true" &&
	records t2 >root.rec &&
	grep -E "/etc/hostname|/no-such-t6005" user.rec >u &&
	grep -E "/etc/hostname|/no-such-t6005" root.rec >r &&
	test_cmp r u
'
test_expect_success '--trace-strict is recorded in the header' '
	as $U "$OVERPACK" run -u up --trace "$TRASH/$U/t3" --trace-strict -- \
		cat /etc/hostname >/dev/null &&
	grep -qx "# strict 1" $U/t3 &&
	grep -q "	open	f	/usr/bin/cat	/etc/hostname$" $U/t3
'
test_expect_success '--only coreutils: its programs show, others do not' '
	as $U "$OVERPACK" run -u up --only coreutils -- sh -c \
		"test -x /usr/bin/cat && test ! -e /usr/bin/gcc"
'
test_expect_success 'deps reads a trace made without root' '
	as $U "$OVERPACK" deps "$TRASH/$U/t1" >deps.out &&
	grep -qx "used	coreutils" deps.out &&
	grep -qx "	exec	/usr/bin/cat" deps.out
'
test_expect_success 'nothing of the session stays mounted' '
	no_overpack_mounts
'
test_done
