#!/bin/sh
test_description='overpack pack: atomic output, failures leave nothing'
. "$top_srcdir/t/test-lib.sh"

command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"

test_expect_success 'build an upper layer' '
	mkdir -p up/data base out &&
	dd if=/dev/urandom of=up/data/big bs=1024 count=512 2>/dev/null &&
	echo small >up/data/small
'

test_expect_success 'a missing output directory is named, exit 125' '
	"$OVERPACK" pack -o nodir/x.tar --root base up 2>err; st=$? &&
	test $st -eq 125 &&
	grep "nodir" err && test_path_is_missing nodir
'

test_expect_success 'an output directory that is a file fails cleanly' '
	echo f >notadir &&
	test_must_fail "$OVERPACK" pack -o notadir/x.tar --root base up 2>err &&
	grep "notadir" err
'

test_expect_success 'output that is a directory fails, nothing left behind' '
	mkdir isdir &&
	test_must_fail "$OVERPACK" pack -o isdir --root base up 2>err &&
	grep "isdir" err && test_path_is_dir isdir &&
	! ls -a | grep -q "^\.isdir\."
'

test_expect_success 'a write failure (file size limit) leaves no package' '
	echo old >out/pkg.tar &&
	(trap "" XFSZ; ulimit -f 64; exec "$OVERPACK" pack -o out/pkg.tar \
	    -f tar --root base up) 2>err; st=$? &&
	test $st -eq 125 &&
	grep "cannot write .out/pkg.tar" err &&
	test "$(cat out/pkg.tar)" = old &&
	test "$(ls -a out | wc -l)" -eq 3
'

test_expect_success 'the same with gzip (failure in the close path)' '
	(trap "" XFSZ; ulimit -f 64; exec "$OVERPACK" pack -o out/pkg.tar \
	    -f tar.gz --root base up) 2>err; st=$? &&
	test $st -eq 125 &&
	test "$(cat out/pkg.tar)" = old &&
	test "$(ls -a out | wc -l)" -eq 3
'

test_expect_success 'success replaces the old package' '
	"$OVERPACK" pack -o out/pkg.tar --root base up &&
	bsdtar -tf out/pkg.tar | grep -qx "./data/small" &&
	test "$(ls -a out | wc -l)" -eq 3
'

test_expect_success 'the package gets a normal mode, not mkstemp 0600' '
	test "$(stat -c %a out/pkg.tar)" = 644 ||
	test "$(stat -c %a out/pkg.tar)" = "$(printf %o $((0666 & ~0$(umask))))"
'

test_expect_success 'a per-file problem is a warning, exit 1, package written' '
	python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"up/data/sock\")" &&
	"$OVERPACK" pack -o out/warn.tar --root base up 2>err; st=$? &&
	test $st -eq 1 &&
	grep "data/sock" err &&
	bsdtar -tf out/warn.tar | grep -qx "./data/small"
'

test_expect_success 'a package that cannot be published leaves no manifest either' '
	mkdir -p up3/etc base3/etc out/isdir.tar &&
	echo gone >base3/etc/old && mknod up3/etc/old c 0 0 &&
	test_must_fail "$OVERPACK" pack -o out/isdir.tar --root base3 up3 &&
	test_path_is_missing out/isdir.tar.deleted &&
	test -z "$(ls -A out/isdir.tar)"
'

test_done
