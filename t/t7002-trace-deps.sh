#!/bin/sh
test_description='overpack deps: a configure that probes for zlib, with zlib1g-dev hidden, declared and undeclared'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/run-lib.sh"
run_require
[ -r /var/lib/dpkg/status ] || skip_all "needs a dpkg database"
for p in autoconf autoheader gcc awk; do
	command -v $p >/dev/null ||
		skip_all "needs $p (Debian: autoconf gcc mawk)"
done
for p in gcc libc6-dev mawk zlib1g-dev busybox-static; do
	dpkg-query -W -f '${db:Status-Abbrev}' $p 2>/dev/null | grep -q '^ii' ||
		skip_all "needs the package $p installed"
done

# The index cache of this test's own.
OVERPACK_CACHE=$TRASH/cache
export OVERPACK_CACHE
BUILD=gcc,libc6-dev,mawk

test_expect_success 'a project whose configure enables zlib when it finds it' '
	mkdir proj &&
	cat >proj/configure.ac <<-\EOC &&
	AC_INIT([zprobe], [1.0])
	AC_CONFIG_HEADERS([config.h])
	AC_PROG_CC
	AC_CHECK_HEADER([zlib.h],
	  [AC_CHECK_LIB([z], [deflate],
	    [AC_DEFINE([HAVE_ZLIB], [1], [zlib is there])])])
	AC_OUTPUT
	EOC
	(cd proj && autoconf && autoheader) &&
	test -x proj/configure
'
test_expect_success 'zlib1g-dev hidden: the feature is off and deps reports the probe' '
	(cd proj && "$OVERPACK" run --only $BUILD --trace ../t1 -- ./configure) \
		>c1.log 2>&1 &&
	grep -qx "/\* #undef HAVE_ZLIB \*/" proj/config.h &&
	"$OVERPACK" deps t1 >d1 &&
	grep -qx "hidden	zlib1g-dev" d1 &&
	sed -n "/^hidden	zlib1g-dev$/,/^[^	]/p" d1 | grep -qx "	hidden	/usr/include/zlib.h" &&
	! grep -qx "used	zlib1g-dev" d1 &&
	grep -qx "used	gcc" d1 &&
	grep -qx "used	mawk" d1
'
test_expect_success 'zlib1g-dev declared: the feature is on and the package used' '
	(cd proj && "$OVERPACK" run --only $BUILD,zlib1g-dev --trace ../t2 -- ./configure) \
		>c2.log 2>&1 &&
	grep -qx "#define HAVE_ZLIB 1" proj/config.h &&
	"$OVERPACK" deps --declared $BUILD,zlib1g-dev t2 >d2 &&
	sed -n "/^used	zlib1g-dev$/,/^[^	]/p" d2 | grep -qx "	open	/usr/include/zlib.h" &&
	! grep -q "^hidden" d2 &&
	! grep -q "^undeclared" d2 &&
	! grep -q "^unused" d2
'
test_expect_success 'a plain run: zlib1g-dev used but not declared, busybox-static declared but not used' '
	(cd proj && "$OVERPACK" run --trace ../t3 -- ./configure) >c3.log 2>&1 &&
	grep -qx "#define HAVE_ZLIB 1" proj/config.h &&
	"$OVERPACK" deps -q --declared $BUILD,busybox-static t3 >d3 &&
	grep -qx "undeclared	zlib1g-dev" d3 &&
	grep -qx "unused	busybox-static" d3 &&
	! grep -q "^	" d3 &&
	! grep -qx "undeclared	gcc-12" d3
'
test_expect_success 'the owner index is cached, keyed by the database, and gives the same answer' '
	set -- cache/dpkg-index-* &&
	test $# -eq 1 && test -f "$1" &&
	head -n 1 "$1" | grep -q "^overpack-dpkg-index 1 / " &&
	"$OVERPACK" deps t1 >d1again &&
	test_cmp d1 d1again
'
test_expect_success 'pack --depends-from writes @pkgdep lines for the packages used' '
	mkdir -p up/usr/pkg/bin && echo x >up/usr/pkg/bin/zp &&
	"$OVERPACK" pack -f pkgsrc -o zp.tgz --name zp --version 1.0 \
		--description "zlib prober" --depends "foo>=1" \
		--depends-from t2 up &&
	tar -xzOf zp.tgz +CONTENTS >contents &&
	grep -qx "@pkgdep foo>=1" contents &&
	grep -qx "@pkgdep zlib1g-dev-\[0-9\]\*" contents &&
	grep -qx "@pkgdep gcc-\[0-9\]\*" contents
'
test_expect_failure_status '--depends-from with another format exits 2' 2 '
	"$OVERPACK" pack -f deb -o zp.deb --name zp --version 1.0 \
		--description x --depends-from t2 up
'
test_expect_failure_status 'deps without a trace exits 2' 2 '
	"$OVERPACK" deps
'
test_expect_failure_status 'deps on something that is not a trace exits 125' 125 '
	echo "not a trace" >bad && "$OVERPACK" deps bad
'
test_expect_failure_status 'deps --declared of a package not installed exits 2' 2 '
	"$OVERPACK" deps --declared no-such-package-t6002 t1
'
test_done
