#!/bin/sh
test_description='a rename that cannot write its redirect (upper filesystem full) changes nothing'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

# The upper and work directories on a small ext4 of their own, which the
# test fills.  A redirect of 200 bytes does not fit in an ext4 inode, so
# writing it needs a block, which a full filesystem does not have; the
# rename itself needs none.
command -v mkfs.ext4 >/dev/null || skip_all "no mkfs.ext4"
truncate -s 16M img && mkfs.ext4 -q -m 0 -N 256 -I 256 img ||
	{ echo "Bail out! cannot make an ext4 image"; exit 1; }
mkdir -p fs && mount -o loop img fs 2>/dev/null ||
	skip_all "no loop devices"
U=$TRASH/fs/upper
W=$TRASH/fs/work
mkdir -p "$U" "$W" || exit 1

long=$(printf 'd%.0s' $(seq 200))
mkdir -p "$L/$long" "$L/sub" && echo f >"$L/$long/f" || exit 1

lower_snapshot
fs_mount

fill() {
	dd if=/dev/zero of="$TRASH/fs/fill" bs=64k 2>/dev/null
	dd if=/dev/zero of="$TRASH/fs/fill2" bs=1k 2>/dev/null
	sync
	[ "$(df --output=avail -k "$TRASH/fs" | tail -1)" -lt 4 ] ||
		{ echo "$TRASH/fs is not full"; return 1; }
}

test_fs 'the directory and its new parent are copied up first' '
	copy_up "$long" && copy_up sub &&
	test -d "$U/$long" && test -d "$U/sub" &&
	test -z "$(upper_xattr "$long" trusted.overlay.redirect)"
'

test_fs 'on a full upper filesystem the rename fails with ENOSPC' '
	fill &&
	expect ENOSPC rename "$M/$long" "$M/sub/new"
'

test_fs 'and changes nothing: old name, contents, no new name, no mark' '
	expect "ok f" read "$M/$long/f" &&
	expect ENOENT lstat "$M/sub/new" &&
	test -d "$U/$long" && ! test -e "$U/sub/new" &&
	test -z "$(upper_xattr "$long" trusted.overlay.redirect)" &&
	fs_remount &&
	expect "ok f" read "$M/$long/f" &&
	expect ENOENT lstat "$M/sub/new"
'

test_fs 'with room again the same rename works' '
	rm -f "$TRASH/fs/fill" "$TRASH/fs/fill2" && sync &&
	expect ok rename "$M/$long" "$M/sub/new" &&
	expect "ok f" read "$M/sub/new/f" &&
	expect ENOENT lstat "$M/$long" &&
	upper_is_whiteout "$long"
'

fs_done
