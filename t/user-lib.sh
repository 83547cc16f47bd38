# user-lib.sh - shared by the tests of overpack run without root
# (t6NNN-user-*.sh).  Source it after test-lib.sh.
#
# The tests run as root and drop to dedicated users for each command.
# user_require sets the machine up the way a normal Debian system with
# the uidmap package is, and changes only this:
#   - creates the system users overpack-test, with the subordinate id
#     ranges 300000-365535 in /etc/subuid and /etc/subgid, and
#     overpack-nosub, with none;
#   - makes /dev/fuse mode 0666, as Debian's fuse3 package does (udev
#     rule); it stays so.

OPT_USER=overpack-test
OPT_NOSUB=overpack-nosub

user_require() {
	require_root
	for p in setpriv newuidmap newgidmap useradd usermod; do
		command -v $p >/dev/null ||
			skip_all "needs $p (Debian: util-linux uidmap passwd)"
	done
	for u in $OPT_USER $OPT_NOSUB; do
		id -u $u >/dev/null 2>&1 ||
			useradd --system --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin $u ||
			skip_all "cannot create the user $u"
	done
	grep -q "^$OPT_USER:" /etc/subuid ||
		usermod --add-subuids 300000-365535 $OPT_USER
	grep -q "^$OPT_USER:" /etc/subgid ||
		usermod --add-subgids 300000-365535 $OPT_USER
	[ -c /dev/fuse ] || skip_all "no /dev/fuse"
	chmod 0666 /dev/fuse
	# The users must reach their working directories below $TRASH.
	chmod 0755 "$TRASH"
	setpriv --reuid=$OPT_USER --regid=$OPT_USER --clear-groups \
		unshare --user --map-root-user true 2>/dev/null ||
		skip_all "this machine forbids user namespaces"
	for u in $OPT_USER $OPT_NOSUB; do
		mkdir -p "$TRASH/$u/tmp" && chown -R $u: "$TRASH/$u" || exit 1
	done
}

# as USER CMD...: run CMD as USER, in $TRASH/USER, with its own TMPDIR.
as() {
	_u=$1
	shift
	(cd "$TRASH/$_u" &&
	 env -u HOME TMPDIR="$TRASH/$_u/tmp" setpriv --reuid=$_u --regid=$_u \
		--clear-groups "$@")
}
