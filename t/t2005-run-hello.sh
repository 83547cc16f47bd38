#!/bin/sh
test_description='overpack run -o: make install of an autotools project packs what make install DESTDIR= installs'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/run-lib.sh"
run_require
for p in autoreconf make cc tar; do
	command -v $p >/dev/null ||
		skip_all "needs $p (Debian: autoconf automake make gcc tar)"
done

test_cleanup_extra='rm -f /usr/local/bin/hello /usr/local/bin/hi /usr/local/bin/hello-again /usr/local/etc/hello.conf /usr/local/share/man/man1/hello.1'
test_path_is_missing /usr/local/bin/hello >/dev/null ||
	skip_all "/usr/local/bin/hello exists on this host"

# Entries as "name type mode owner group target links", files also hashed.
# Directories that exist on the host already (usr/local/bin, say) are
# copied up with the host's mode while DESTDIR creates them with 755, so
# directories are compared by name only; everything else exactly.
listing() {
	(cd "$1" &&
	find . -mindepth 1 -type d -printf '%P\n' | sort &&
	find . ! -type d -printf '%P %y %m %u %g %l %n\n' | sort &&
	find . -type f -exec sha256sum {} + | sort -k2)
}

test_expect_success 'the example builds' '
	cp -R "$top_srcdir/examples/hello" hello &&
	(cd hello && autoreconf -fi && ./configure --prefix=/usr/local && make) \
		>build.log 2>&1 &&
	test "$(./hello/hello)" = "hello, world"
'
test_expect_success 'make install DESTDIR=' '
	(cd hello && make install DESTDIR="$TRASH/dest") >inst.log 2>&1 &&
	test -x dest/usr/local/bin/hello &&
	test "$(readlink dest/usr/local/bin/hi)" = hello
'
test_expect_success 'overpack run -o hello.tar.gz -- make install' '
	(cd hello && "$OVERPACK" run -o "$TRASH/hello.tar.gz" -- make install) \
		>run.log 2>&1 &&
	test_path_is_file hello.tar.gz &&
	test "$(ls -A "$TMPDIR")" = ""
'
test_expect_success 'the package holds what DESTDIR got: names, modes, owners, links, contents' '
	mkdir pkg && tar -xzpf hello.tar.gz -C pkg &&
	listing dest >expect &&
	listing pkg >actual &&
	test_cmp expect actual &&
	test "$(stat -c %i pkg/usr/local/bin/hello)" = \
	     "$(stat -c %i pkg/usr/local/bin/hello-again)"
'
test_expect_success 'the host did not get hello' '
	test_path_is_missing /usr/local/bin/hello &&
	test_path_is_missing /usr/local/bin/hi &&
	test_path_is_missing /usr/local/etc/hello.conf &&
	test_path_is_missing /usr/local/share/man/man1/hello.1
'
test_expect_success '--keep keeps the session directory after packing' '
	(cd hello && "$OVERPACK" run --keep -o "$TRASH/hello2.tar.gz" -- make install) \
		>run2.log 2>&1 &&
	up=$(kept_upper run2.log) &&
	test -x "$up/usr/local/bin/hello"
'
test_expect_failure_status 'a failing command is not packed; its status is kept' 2 '
	(cd hello && "$OVERPACK" run -o "$TRASH/fail.tar.gz" -- make no-such-target) \
		>run3.log 2>&1; st=$?
	test_path_is_missing fail.tar.gz &&
	grep -q "^overpack: the command failed (exit status 2); not packing" run3.log &&
	test -d "$(kept_upper run3.log)" &&
	exit $st
'
test_done
