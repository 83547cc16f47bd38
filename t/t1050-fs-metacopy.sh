#!/bin/sh
test_description='metadata-only copy-up: chmod, chown, utimens and xattrs on
a lower file copy no data; the first write copies it exactly once'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
[ "$OVERPACK_TEST_FS" = overpackfs ] ||
	skip_all "the kernel copies data unless mounted with metacopy=on"
umask 022

# 64 MiB of real data, so a copy would show in the upper layer's blocks.
head -c 67108864 /dev/urandom >"$L/big" &&
echo 'small lower' >"$L/small" && echo 'tagged' >"$L/tagged" &&
echo 'timed' >"$L/timed" && echo 'trunc me' >"$L/trunc" &&
mkdir "$L/dir" && echo 'in dir' >"$L/dir/f" || exit 1
BIGSUM=$(sha256sum <"$L/big")
lower_snapshot
fs_mount

blocks() { stat -c %b "$1"; }
is_metacopy() {
	getfattr --absolute-names -n trusted.overlay.metacopy "$U/$1" \
		>/dev/null 2>&1
}

test_fs 'chmod of a large lower file copies no data' '
	chmod 600 "$M/big" &&
	test "$(field "$M/big" mode)" = 0600 &&
	test "$(blocks "$U/big")" -eq 0 &&
	is_metacopy big &&
	test "$(field "$U/big" size)" = 67108864
'

test_fs 'the data still reads as the lower file, and stat shows its blocks' '
	test "$(sha256sum <"$M/big")" = "$BIGSUM" &&
	test "$(blocks "$M/big")" -gt 0
'

test_fs 'chown, utimens and setxattr are metadata-only too' '
	chown 1234:5678 "$M/small" && is_metacopy small &&
	test "$(field "$M/small" uid)" = 1234 &&
	expect ok utimens "$M/timed" omit 1000000000 && is_metacopy timed &&
	test "$(field "$M/timed" mtime)" = 1000000000.000000000 &&
	setfattr -n user.k -v v "$M/tagged" && is_metacopy tagged &&
	test "$(getfattr --only-values -n user.k "$M/tagged")" = v &&
	test "$(cat "$M/small" "$M/timed" "$M/tagged")" = "small lower
timed
tagged"
'

test_fs 'the metacopy mark is not visible through the mount' '
	! getfattr -d -m - "$M/small" 2>/dev/null | grep -q overlay &&
	test_must_fail setfattr -n trusted.overlay.metacopy -v "" "$M/dir/f"
'

test_fs 'a write copies the data once, keeps the new metadata, drops the mark' '
	echo appended >>"$M/big" &&
	! is_metacopy big &&
	test "$(field "$M/big" mode)" = 0600 &&
	test "$(field "$U/big" size)" = 67108873 &&
	test "$(head -c 67108864 "$U/big" | sha256sum)" = "$BIGSUM" &&
	test "$(tail -c 9 "$M/big")" = appended
'

test_fs 'appending to another metacopy gives it its data' '
	echo x >>"$M/timed" && ! is_metacopy timed &&
	test "$(cat "$U/timed")" = "timed
x"
'

test_fs 'truncating a metacopy to zero copies nothing and drops the mark' '
	chmod 640 "$M/trunc" && is_metacopy trunc &&
	: >"$M/trunc" &&
	! is_metacopy trunc && test "$(field "$M/trunc" size)" = 0 &&
	test "$(field "$M/trunc" mode)" = 0640
'

test_fs 'a metacopy survives a remount and still reads its data' '
	chmod 600 "$M/dir/f" && fs_remount &&
	is_metacopy dir/f && test "$(cat "$M/dir/f")" = "in dir" &&
	test "$(field "$M/dir/f" mode)" = 0600
'

test_fs 'a metacopy whose data is gone from the base is an error, not zeros' '
	chmod 600 "$M/small" && fs_umount &&
	mv "$L/small" "$TRASH/small.aside" &&
	fs_mount &&
	test_must_fail cat "$M/small" 2>err &&
	mv "$TRASH/small.aside" "$L/small" &&
	lower_snapshot
'

fs_done
