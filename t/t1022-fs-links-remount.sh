#!/bin/sh
test_description='hard links of the base stay one file across mounts: the index'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

# The reference for kernel overlayfs is its index=on.
OVERLAY_OPTS=index=on
export OVERLAY_OPTS

# The same tree in the base and, as the reference, on the host ($H): each
# case does the same there and through the mount, and what the mount shows
# must be what the host shows.
H=$TRASH/host
for D in "$L" "$H"; do
	mkdir -p "$D/d" && (cd "$D" &&
	for f in h k u v w x m r; do echo data >${f}1 || exit 1; done &&
	ln h1 h2 && ln k1 d/k2 && ln k1 d/k3 && ln u1 u2 && ln v1 v2 &&
	ln w1 w2 && ln x1 x2 && ln m1 m2 && ln r1 r2 && echo solo >s) ||
		{ echo "Bail out! cannot build $D"; exit 1; }
done

# both 'COMMAND': COMMAND, run with $Y set to $H and then to $M, prints
# the same both times.
both() {
	_h=$(Y=$H; eval "$1" 2>&1)
	_f=$(Y=$M; eval "$1" 2>&1)
	[ "$_h" = "$_f" ] ||
		{ echo "'$1': the host gives '$_h', the mount '$_f'"; return 1; }
}

# show P...: content, link count and mode of each name below $Y.
show() {
	for _p; do
		op read "$Y/$_p" && op lstat "$Y/$_p" nlink mode || return 1
	done
}

# same_ino P Q: P and Q are one inode through the mount.
same_ino() {
	[ "$(field "$M/$1" ino)" = "$(field "$M/$2" ino)" ] ||
		{ echo "$1 and $2 are different inodes"; return 1; }
}

# in_index P: the upper object at P is linked into the index.
in_index() {
	_i=$(stat -c %i "$U/$1") &&
	[ -n "$(find "$W/index" -inum "$_i")" ] ||
		{ echo "upper '$1' is not in the index"; return 1; }
}

lower_snapshot
fs_mount

test_fs 'session 1: writes, a chmod, an unlink and a rename over one name each' '
	both "op open \"\$Y/h1\" O_WRONLY,O_APPEND 0 +h &&
		op open \"\$Y/k1\" O_WRONLY,O_APPEND 0 +k &&
		op open \"\$Y/u1\" O_WRONLY,O_APPEND 0 +u &&
		op open \"\$Y/v1\" O_WRONLY,O_APPEND 0 +v &&
		op chmod \"\$Y/m1\" 0600 &&
		op unlink \"\$Y/w2\" && echo new >\"\$Y/x-new\" &&
		op rename \"\$Y/x-new\" \"\$Y/x2\"" &&
	both "show h1 k1 u1 v1 m1 w1 x1" &&
	same_ino h1 h2 && same_ino k1 d/k2
'

test_fs 'the copies are in the index, in the work directory, not in the upper layer' '
	in_index h1 && in_index k1 && in_index u1 && in_index m1 &&
	test -z "$(find "$U" -name index)" &&
	upper_is_whiteout w2
'

test_fs 'after a remount, a name never looked up shows what was written through another' '
	fs_remount &&
	both "show h2 d/k2 u2 m2"
'

test_fs 'the names are one inode, with the host'"'"'s link count' '
	same_ino h1 h2 && same_ino k1 d/k2 && same_ino m1 m2 &&
	both "op lstat \"\$Y/h1\" nlink && op lstat \"\$Y/k1\" nlink &&
		op lstat \"\$Y/d/k3\" nlink && op lstat \"\$Y/w1\" nlink &&
		op lstat \"\$Y/x1\" nlink && op lstat \"\$Y/x2\" nlink" &&
	same_ino k1 d/k3
'

test_fs 'a write through the second name shows through the first' '
	both "op open \"\$Y/h2\" O_WRONLY,O_APPEND 0 +h2 && show h1 h2"
'

test_fs 'unlink of the second name in the second session' '
	both "op unlink \"\$Y/u2\" && show u1 && op lstat \"\$Y/u2\" nlink" &&
	upper_is_whiteout u2
'

test_fs 'link(2) of the copy adds a name to every name'"'"'s count' '
	both "op link \"\$Y/h2\" \"\$Y/h3\" && show h1 h2 h3"
'

test_fs 'rename(2) of one name over another of the same file does nothing' '
	both "op rename \"\$Y/r1\" \"\$Y/r2\" && show r1 r2"
'

test_fs 'every name of a copy gone' '
	vino=$(stat -c %i "$U/v1") && echo "$vino" >vino &&
	in_index v1 &&
	both "op unlink \"\$Y/v1\" && op unlink \"\$Y/v2\" &&
		op lstat \"\$Y/v1\" nlink; op lstat \"\$Y/v2\" nlink"
'

test_fs 'session 3: every name and count holds' '
	fs_remount &&
	both "show h1 h2 h3 k1 d/k2 d/k3 u1 m1 m2 w1 x1 x2 r1 r2 s" &&
	both "op lstat \"\$Y/u2\" nlink; op lstat \"\$Y/v1\" nlink;
		op lstat \"\$Y/w2\" nlink" &&
	same_ino h1 h3 && same_ino k1 d/k3
'

test_fs 'the index drops a copy with no name left, and keeps the others' '
	test -z "$(find "$W/index" -inum "$(cat vino)")" &&
	in_index h1 && in_index k1
'

# overpackfs only: kernel overlayfs refuses the mount instead.
if [ "$OVERPACK_TEST_FS" = overpackfs ]; then
	test_fs 'an index made for another upper layer is not used' '
		fs_umount && mkdir -p "$TRASH/upper2" &&
		U0=$U && U=$TRASH/upper2 && fs_mount &&
		expect "ok data" read "$M/h2" &&
		expect "ok nlink=2" lstat "$M/h2" nlink &&
		test -z "$(find "$W/index" -inum "$(stat -c %i "$U0/h1")")" &&
		test -z "$(ls "$U")" &&
		fs_umount && U=$U0 && fs_mount
	'
fi

fs_done
