#!/bin/sh
test_description='overpack run --root: a scratch tree as base root stays unchanged, even under rm -rf /'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/run-lib.sh"
run_require

# A statically linked busybox runs in a tree without libraries.
BUSYBOX=$(command -v busybox) &&
ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic executable' ||
	skip_all "needs a statically linked busybox (Debian: busybox-static)"

# The scratch tree: no /proc, /dev, /sys or /tmp, so run creates them.
mkdir -p r/bin r/etc r/data/sub r/usr/share/doc &&
cp "$BUSYBOX" r/bin/busybox &&
for c in sh ls rm cat echo mkdir test find stat wc; do
	ln -s busybox "r/bin/$c" || exit 1
done &&
echo 'root:x:0:0:root:/:/bin/sh' >r/etc/passwd &&
echo data >r/data/file && echo sub >r/data/sub/f &&
echo doc >r/usr/share/doc/README &&
ln r/data/file r/data/hardlink &&
chmod 700 r/data/sub || exit 1
tree_listing r >tree.before

test_expect_success 'the command runs in the scratch tree with /proc, /dev, /tmp' '
	"$OVERPACK" run --root r -u up -- /bin/sh -c "
		cat /etc/passwd &&
		test -e /proc/self/stat &&
		echo >/dev/null && test -c /dev/zero && test -c /dev/urandom &&
		test -L /dev/ptmx && test -d /dev/pts && test -d /dev/shm &&
		test -L /dev/stdin &&
		echo t >/tmp/t && test \"\$(pwd)\" = \"$TRASH\" &&
		ls -d /bin /data" >out &&
	grep -q "^root:x:0:0:" out &&
	grep -qx /data out
'
test_expect_success 'mount points made in the upper layer are removed again' '
	ls -A up >actual &&
	{ ! test -s actual || { cat actual; false; }; } &&
	tree_listing r >tree.after && test_cmp tree.before tree.after
'
test_expect_success 'a --bind mount point below a lower directory leaves no copy-up' '
	mkdir -p src && echo s >src/s &&
	"$OVERPACK" run --root r -u up --bind "$TRASH/src:/data/new/deep" -- \
		/bin/cat /data/new/deep/s >out &&
	test "$(cat out)" = s &&
	test_path_is_missing up/data
'
test_expect_failure_status 'a command missing from the scratch tree exits 127' 127 '
	"$OVERPACK" run --root r -- bash -c true
'
test_expect_success 'a mount point over a whiteout puts the whiteout back' '
	"$OVERPACK" run --root r -u up -- /bin/rm -r /data/sub &&
	is_whiteout up/data/sub &&
	"$OVERPACK" run --root r -u up --bind "$TRASH/src:/data/sub" -- \
		/bin/cat /data/sub/s >out &&
	test "$(cat out)" = s &&
	is_whiteout up/data/sub &&
	"$OVERPACK" run --root r -u up -- /bin/test ! -e /data/sub
'
test_expect_success 'rm -rf / leaves the tree unchanged; the deletions are whiteouts' '
	(cd / && "$OVERPACK" run --root "$TRASH/r" -u "$TRASH/up2" -- \
		/bin/sh -c "rm -rf / 2>/dev/null; ls -A /" >"$TRASH/out") &&
	tree_listing r >tree.after &&
	test_cmp tree.before tree.after &&
	for e in bin etc data usr; do
		is_whiteout "up2/$e" || exit 1
	done &&
	(cd / && "$OVERPACK" run --root "$TRASH/r" -u "$TRASH/up2" -- \
		/bin/sh -c true); test $? -eq 127
'
test_expect_success 'no mount of a session is left on the host' '
	no_overpack_mounts
'
test_done
