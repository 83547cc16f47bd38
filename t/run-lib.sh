# run-lib.sh - shared by the overpack run tests (t2NNN-run-*.sh).
# Source it after test-lib.sh.

run_require() {
	require_root
	unshare --pid --mount --net --fork true 2>/dev/null ||
		skip_all "no pid, mount or network namespaces"
}

# Session directories go below $TRASH, so the trap removes them.
TMPDIR=$TRASH/tmp
export TMPDIR
mkdir -p "$TMPDIR" || exit 1

# The host's mount points and types, leaving out other tests' scratch
# directories (make -j check runs tests side by side).
run_mounts() {
	awk -v t="$TRASH" '{
		split($0, a, " - "); split(a[2], b, " ")
		if (index($5, "/overpack-") == 0 || index($5, t) == 1)
			print $5, b[1]
	}' /proc/self/mountinfo | sort
}

# The upper layer named by overpack's "kept in" message in file $1.
kept_upper() { sed -n 's/^overpack: upper layer kept in //p' "$1"; }

# A listing of tree $1 for comparisons: name, type, mode, owner, link
# target, then the hash of every regular file.
tree_listing() {
	(cd "$1" &&
	find . -printf '%P %y %m %u:%g %l\n' | sort &&
	find . -type f -exec sha256sum {} + | sort -k2)
}

is_whiteout() {
	[ "$(stat -c '%F %t:%T' "$1" 2>/dev/null)" = \
	  "character special file 0:0" ] || { echo "not a whiteout: $1"; return 1; }
}

# Wait up to $1 tenths of a second for the command $2... to succeed.
wait_for() {
	_n=$1
	shift
	while ! "$@"; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.1
	done
}
