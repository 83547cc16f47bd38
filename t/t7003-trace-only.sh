#!/bin/sh
test_description='overpack run --only: a view of the base with only the declared packages, their dependencies and a core'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/run-lib.sh"
run_require
[ -r /var/lib/dpkg/status ] || skip_all "needs a dpkg database"
command -v dpkg-deb >/dev/null || skip_all "needs dpkg-deb"
dpkg-query -W -f '${db:Status-Abbrev}' busybox-static 2>/dev/null |
	grep -q '^ii' || skip_all "needs busybox-static installed"
test_path_is_file /usr/bin/gcc >/dev/null || skip_all "needs gcc installed"

# The index cache of this test's own.
OVERPACK_CACHE=$TRASH/cache
export OVERPACK_CACHE
BB=/bin/busybox
# What busybox-static puts in /usr/bin, by dpkg's list (usrmerge applied).
dpkg -L busybox-static | sed "s|^/bin/|/usr/bin/|" | sed -n "s|^/usr/bin/||p" |
	sort >bb-bin

test_expect_failure_status 'a package that is not installed exits 2' 2 '
	"$OVERPACK" run --only no-such-package-t6003 -- true 2>err
	st=$?
	grep -q "package .no-such-package-t6003. is not installed" err &&
	exit $st
'
test_expect_failure_status '--only-core without --only exits 2' 2 '
	"$OVERPACK" run --only-core "" -- true
'
test_expect_success 'busybox-static alone: /usr/bin lists exactly its files' '
	"$OVERPACK" run --only busybox-static --only-core "" -- $BB ls /usr/bin \
		>actual 2>/dev/null &&
	test_cmp bb-bin actual
'
# /etc holds nothing of busybox-static's: the directory itself is hidden.
test_expect_success 'what is hidden answers ENOENT and is logged as hidden' '
	"$OVERPACK" run --only busybox-static --only-core "" --trace t1 -- \
		$BB sh -c "test ! -e /usr/bin/gcc && test ! -e /etc/passwd &&
		! $BB cat /etc/passwd" 2>/dev/null &&
	awk -F"\t" "\$3 == \"hidden\" && \$6 == \"/usr/bin/gcc\"" t1 | grep -q . &&
	awk -F"\t" "\$3 == \"hidden\" && \$6 == \"/etc\"" t1 | grep -q .
'
test_expect_success 'what the command creates shows, even where the base is hidden' '
	"$OVERPACK" run --only busybox-static --only-core "" -- $BB sh -c \
		"mkdir -p /etc/t6003 && echo hi >/etc/t6003/f && cat /etc/t6003/f &&
		$BB ls /etc" >out 2>/dev/null &&
	printf "hi\nt6003\n" >expect &&
	test_cmp expect out
'
test_expect_success '--only-list: the paths of a plain list, and their directories' '
	printf "# a comment\n/usr/bin/busybox\n/etc/passwd\n" >list &&
	"$OVERPACK" run --only-list list --only-core "" -- $BB sh -c \
		"$BB cat /etc/passwd >/dev/null && test ! -e /etc/group &&
		$BB ls /etc /usr/bin" >out 2>/dev/null &&
	printf "/etc:\npasswd\n\n/usr/bin:\nbusybox\n" >expect &&
	test_cmp expect out
'
test_expect_success 'the default core: the Essential set and /etc basics, nothing else' '
	"$OVERPACK" run --only busybox-static -- sh -c \
		"test -e /etc/passwd && test -x /usr/bin/ls && test -x /bin/sh &&
		test ! -e /usr/bin/gcc && test ! -e /usr/include/stdio.h" 2>/dev/null
'
test_expect_success '--only-core +SPEC adds to the default core' '
	"$OVERPACK" run --only busybox-static --only-core +gcc -- sh -c \
		"test -x /usr/bin/gcc" 2>/dev/null &&
	test_must_fail "$OVERPACK" run --only busybox-static -- sh -c \
		"test -x /usr/bin/gcc" 2>/dev/null
'

test_expect_success 'dpkg -i of a new package in a room of dpkg alone' '
	mkdir -p deb/DEBIAN deb/usr/share/optest-t6003 &&
	echo hello >deb/usr/share/optest-t6003/hello &&
	cat >deb/DEBIAN/control <<-\EOC &&
	Package: optest-t6003
	Version: 1.0
	Architecture: all
	Maintainer: overpack tests <tests@example.org>
	Description: a package of the overpack tests
	EOC
	dpkg-deb --build deb optest.deb >/dev/null &&
	"$OVERPACK" run --only dpkg -u up --trace t2 -- sh -c \
		"dpkg -i optest.deb && dpkg -s optest-t6003 >/dev/null &&
		test ! -e /usr/bin/gcc" >dpkg.log 2>&1 &&
	test "$(cat up/usr/share/optest-t6003/hello)" = hello &&
	grep -qx /usr/share/optest-t6003/hello up/var/lib/dpkg/info/optest-t6003.list &&
	! dpkg -s optest-t6003 >/dev/null 2>&1
'
test_expect_success 'the packages dpkg -i used are inside the room'"'"'s closure' '
	"$OVERPACK" deps -q --declared dpkg t2 >d2 &&
	grep -qx "used	dpkg" d2 &&
	! grep -q "^undeclared" d2
'
test_done
