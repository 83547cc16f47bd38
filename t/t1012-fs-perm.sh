#!/bin/sh
test_description='permissions as an unprivileged user: denied calls copy nothing up'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
command -v setpriv >/dev/null || skip_all "no setpriv(1) (util-linux)"
umask 022

NB=65534
# as_nobody CALL ARGS...: op-syscall as uid/gid 65534 with no groups.
as_nobody() {
	setpriv --reuid=$NB --regid=$NB --clear-groups "$OPSYSCALL" "$@"
}
expect_nobody() {
	_want=$1
	shift
	_got=$(as_nobody "$@")
	[ "$_got" = "$_want" ] ||
		{ echo "as 65534: op-syscall $*: expected '$_want', got '$_got'"; return 1; }
}

# mktemp -d made $TRASH 0700; the user must be able to reach the mount.
chmod 0755 "$TRASH" "$L" &&
mkdir -p "$L/rootdir" "$L/open" "$L/sticky" &&
chmod 0777 "$L/open" && chmod 1777 "$L/sticky" &&
for f in r secret own suid; do echo "lower $f" >"$L/$f" || exit 1; done &&
chmod 0600 "$L/secret" &&
chown $NB:$NB "$L/own" &&
chmod 4777 "$L/suid" &&
echo 'root s' >"$L/sticky/rootf" && echo 'nb s' >"$L/sticky/nbf" &&
chown $NB:$NB "$L/sticky/nbf" || exit 1

lower_snapshot
fs_mount
chmod 0755 "$M" 2>/dev/null

test_fs 'an unprivileged user reads a 0644 lower file but cannot open it for writing' '
	expect_nobody "ok lower r" read "$M/r" &&
	expect_nobody EACCES open "$M/r" O_WRONLY &&
	expect_nobody EACCES access "$M/r" W_OK &&
	expect_nobody ok access "$M/r" R_OK &&
	test_path_is_missing "$U/r"
'

test_fs 'an unprivileged user cannot read a 0600 lower file' '
	expect_nobody EACCES read "$M/secret" &&
	test_path_is_missing "$U/secret"
'

test_fs 'an unprivileged user cannot create in a 0755 root directory' '
	expect_nobody EACCES open "$M/rootdir/x" O_CREAT,O_WRONLY 0644 &&
	expect_nobody EACCES mkdir "$M/rootdir/d" 0755 &&
	test_path_is_missing "$U/rootdir"
'

test_fs 'an unprivileged user creates in a 0777 lower directory, as itself' '
	expect_nobody ok open "$M/open/x" O_CREAT,O_EXCL,O_WRONLY 0644 hi &&
	expect "ok uid=$NB gid=$NB" lstat "$M/open/x" uid gid &&
	expect "ok uid=$NB gid=$NB" lstat "$U/open/x" uid gid &&
	expect "ok mode=0777 uid=0" lstat "$M/open" mode uid
'

test_fs 'chmod, chown and utimens of a file one does not own are EPERM' '
	expect_nobody EPERM chmod "$M/r" 0666 &&
	expect_nobody EPERM chown "$M/own" 0 0 &&
	expect_nobody EPERM utimens "$M/r" 1 1 &&
	test_path_is_missing "$U/r"
'

test_fs 'an unprivileged user writes its own lower file; copy-up keeps the owner' '
	expect_nobody ok open "$M/own" O_WRONLY,O_APPEND 0 "+" &&
	expect "ok uid=$NB gid=$NB mode=0644" lstat "$M/own" uid gid mode &&
	expect "ok uid=$NB gid=$NB mode=0644" lstat "$U/own" uid gid mode
'

test_fs 'a write by an unprivileged user clears the setuid bit' '
	expect_nobody ok open "$M/suid" O_WRONLY,O_APPEND 0 "+" &&
	expect "ok mode=0777" lstat "$M/suid" mode
'

test_fs 'in a sticky lower directory one may delete only ones own files' '
	expect_nobody EPERM unlink "$M/sticky/rootf" &&
	expect "ok root s" read "$M/sticky/rootf" &&
	expect_nobody ok unlink "$M/sticky/nbf" &&
	expect ENOENT lstat "$M/sticky/nbf" &&
	upper_is_whiteout sticky/nbf
'

test_fs 'an unprivileged user cannot make device nodes' '
	expect_nobody EPERM mknod "$M/open/dev" chr 1 3 0666 &&
	expect ENOENT lstat "$M/open/dev"
'

test_fs 'an unprivileged user may not set trusted.* xattrs' '
	expect_nobody EPERM setxattr "$M/own" trusted.x 1 &&
	expect_nobody ok setxattr "$M/own" user.x 1 &&
	expect "ok 1" getxattr "$M/own" user.x
'

fs_done
