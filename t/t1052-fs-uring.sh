#!/bin/sh
test_description='overpackfs over io_uring: taken when the kernel offers it,
refused with nouring, and every kind of request and reply goes through it'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
[ "$OVERPACK_TEST_FS" = overpackfs ] || skip_all "overpackfs only"
fs_require

# The fuse module's switch; the test sets it and puts it back.
P=/sys/module/fuse/parameters/enable_uring
[ -w "$P" ] || skip_all "the kernel has no FUSE over io_uring ($P)"
old=$(cat "$P")
trap 'echo "$old" >"$P"' EXIT
echo Y >"$P" || skip_all "cannot turn on $P"

test_expect_success 'overpack doctor says whether the kernel offers it' '
	echo N >"$P" && "$OVERPACK" doctor >doc &&
	grep -E "^FUSE over io_uring +no +off: echo Y" doc &&
	echo Y >"$P" && "$OVERPACK" doctor >doc &&
	grep -E "^FUSE over io_uring +yes" doc
'

# Requests the daemon's rings have taken so far (CQEs, from fdinfo).
ring_count() {
	_n=0 _r=0
	for _f in /proc/$1/fd/*; do
		case $(readlink "$_f" 2>/dev/null) in
		*io_uring*)
			_r=$((_r + 1))
			_c=$(awk '$1 == "CqTail:" { print $2 }' \
			    "/proc/$1/fdinfo/${_f##*/}")
			_n=$((_n + ${_c:-0}))
			;;
		esac
	done
	[ "$_r" -gt 0 ] || return 1
	echo "$_n"
}

mkdir -p "$L/d" &&
head -c 3000000 /dev/urandom >"$L/big" &&
i=0 && while [ $i -lt 2000 ]; do : >"$L/d/entry-with-a-long-name-$i"; i=$((i + 1)); done
tail -c +2500001 "$L/big" >tail.want
lower_snapshot

fs_mount
pid=$(fs_daemon_pid)

test_expect_success 'the daemon serves the mount through rings' '
	before=$(ring_count $pid) &&
	cat "$M/big" >/dev/null && ls "$M/d" >/dev/null &&
	after=$(ring_count $pid) &&
	test "$after" -gt $((before + 10))
'

test_expect_success 'reads of 1 MiB and more come back whole' '
	cmp "$L/big" "$M/big" &&
	dd if="$L/big" bs=1M skip=1 count=1 status=none >want &&
	dd if="$M/big" bs=1M skip=1 count=1 iflag=direct status=none >got &&
	cmp want got
'

test_expect_success 'writes of 1 MiB go through and copy up' '
	head -c 2500000 /dev/urandom >w.src &&
	dd if=w.src of="$M/big" bs=1M conv=notrunc,fsync status=none &&
	head -c 2500000 "$U/big" | cmp - w.src &&
	tail -c +2500001 "$U/big" | cmp - tail.want

'

test_expect_success 'a listing larger than one reply is whole' '
	test "$(ls "$M/d" | wc -l)" = 2000 &&
	test "$(find "$M/d" -type f | wc -l)" = 2000
'

test_expect_success 'names, xattrs, links and renames' '
	mkdir "$M/n" && echo x >"$M/n/a" &&
	setfattr -n user.k -v value "$M/n/a" &&
	test "$(getfattr --only-values -n user.k "$M/n/a")" = value &&
	ln "$M/n/a" "$M/n/b" && ln -s a "$M/n/c" &&
	test "$(readlink "$M/n/c")" = a &&
	mv "$M/n/b" "$M/n/e" && test "$(stat -c %h "$M/n/a")" = 2 &&
	rm "$M/n/e" "$M/n/c" && test "$(stat -c %h "$M/n/a")" = 1
'

test_expect_success 'errors come back as errors' '
	expect ENOENT lstat "$M/no-such-file" &&
	expect ENOTEMPTY rmdir "$M/d" &&
	expect EEXIST mkdir "$M/n" 0755
'

test_expect_success 'O_TMPFILE through a ring, linked in' '
	expect "ok nlink=0" tmpfile "$M/n" 0600 data "$M/n/t" &&
	test "$(cat "$M/n/t")" = data
'

test_expect_success 'the daemon ends when unmounted' '
	fs_umount && test "$(cat "$U/n/a")" = x
'

test_expect_success 'nouring: no rings, and the same answers' '
	OVERPACKFS_OPTS=${OVERPACKFS_OPTS:+$OVERPACKFS_OPTS,}nouring fs_mount &&
	pid=$(fs_daemon_pid) &&
	cat "$M/n/a" >/dev/null &&
	! ring_count $pid >/dev/null &&
	head -c 2500000 "$M/big" | cmp - w.src &&
	expect ENOTEMPTY rmdir "$M/d"
'

fs_done
