#!/bin/sh
test_description='the node fd cache: a tree far larger than maxfds, with every
kind of object reopened after eviction'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
[ "$OVERPACK_TEST_FS" = overpackfs ] ||
	skip_all "the fd cache is overpackfs's own"
umask 022

# 30 directories of 20 files and a symlink each: about 700 objects for a
# cache of 16 fds, so nearly every access reopens something.
OVERPACKFS_OPTS=${OVERPACKFS_OPTS:+$OVERPACKFS_OPTS,}maxfds=16
i=0
while [ $i -lt 30 ]; do
	mkdir -p "$L/d$i/sub" && j=0 &&
	while [ $j -lt 20 ]; do
		echo "lower $i $j" >"$L/d$i/f$j" && j=$((j + 1))
	done &&
	ln -s f0 "$L/d$i/link" && echo "deep $i" >"$L/d$i/sub/deep" || exit 1
	i=$((i + 1))
done
setfattr -n user.tag -v lower "$L/d7/f3" || exit 1
lower_snapshot
fs_mount
pid=$(fs_daemon_pid)

test_fs 'every file reads back through the mount' '
	i=0 &&
	while [ $i -lt 30 ]; do
		j=0 &&
		while [ $j -lt 20 ]; do
			test "$(cat "$M/d$i/f$j")" = "lower $i $j" || exit 1
			j=$((j + 1))
		done
		i=$((i + 1))
	done
'

test_fs 'the daemon holds far fewer fds than there are objects' '
	n=$(ls "/proc/$pid/fd" | wc -l) &&
	echo "daemon fds: $n" &&
	test "$n" -lt 100
'

test_fs 'stat, readlink and xattrs of long-evicted objects' '
	test "$(readlink "$M/d0/link")" = f0 &&
	test "$(getfattr --only-values -n user.tag "$M/d7/f3")" = lower &&
	test "$(field "$M/d29/sub/deep" size)" = 8
'

test_fs 'a copy-up below an evicted parent chain' '
	echo more >>"$M/d5/sub/deep" &&
	test "$(cat "$U/d5/sub/deep")" = "deep 5
more" &&
	chmod 600 "$M/d6/f6" && test "$(field "$U/d6/f6" mode)" = 0600
'

test_fs 'a renamed directory: its evicted children reopen under the new name' '
	cat "$M/d9/f1" >/dev/null && mv "$M/d9" "$M/moved9" &&
	cat "$M/d1/f1" "$M/d2/f2" "$M/d3/f3" >/dev/null &&
	test "$(cat "$M/moved9/f1")" = "lower 9 1" &&
	echo up >"$M/moved9/f2" && test "$(cat "$U/moved9/f2")" = up
'

test_fs 'an unlinked file still open keeps working after eviction' '
	exec 5<>"$M/d11/f0" &&
	rm "$M/d11/f0" &&
	cat "$M"/d1*/f* >/dev/null &&
	echo tail >&5 &&
	test "$(stat -L -c %s /proc/self/fd/5)" -gt 0 &&
	exec 5>&- &&
	test_path_is_missing "$M/d11/f0"
'

test_fs 'inode numbers hold while their fds come and go' '
	a=$(field "$M/d20/f19" ino) &&
	cat "$M"/d2*/f* >/dev/null &&
	b=$(field "$M/d20/f19" ino) &&
	test "$a" = "$b"
'

fs_done
