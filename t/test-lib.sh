# test-lib.sh - TAP helpers for overpack's shell tests.
#
# A test script sets test_description, sources this file, then runs steps:
#
#	test_expect_success 'title' '
#		cmd1 &&
#		cmd2
#	'
#	test_done
#
# Every script gets its own scratch directory $TRASH (removed by a trap,
# after unmounting anything mounted below it) and runs with cwd = $TRASH.
# Binaries come from $top_builddir (set by make check; defaults to ..).

: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
OVERPACK="$top_builddir/overpack"
OVERPACKFS="$top_builddir/overpackfs"
OPSYSCALL="$top_builddir/t/op-syscall"
export OVERPACK OVERPACKFS OPSYSCALL top_builddir top_srcdir
export LC_ALL=C

test_count=0
test_failed=0
test_name=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/overpack-$test_name.XXXXXX") || exit 1
export TRASH

# Unmount everything below $TRASH, deepest first, then remove it.
test_cleanup() {
	if [ -r /proc/self/mountinfo ]; then
		awk -v t="$TRASH" '$5 == t || index($5, t "/") == 1 { print $5 }' \
			/proc/self/mountinfo | sort -r |
		while read -r m; do
			fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		done
	fi
	[ -n "$test_cleanup_extra" ] && eval "$test_cleanup_extra"
	rm -rf "$TRASH"
}
trap test_cleanup EXIT
trap 'exit 130' INT TERM HUP
cd "$TRASH" || exit 1

say() { printf '# %s\n' "$*"; }

test_expect_success() {
	test_count=$((test_count + 1))
	_out=$(eval "$2" 2>&1)
	if [ $? -eq 0 ]; then
		printf 'ok %d - %s\n' "$test_count" "$1"
	else
		test_failed=$((test_failed + 1))
		printf 'not ok %d - %s\n' "$test_count" "$1"
		printf '%s\n' "$_out" | sed 's/^/#   /'
	fi
}

# The step must fail (exit non-zero) for the test to pass.
test_expect_failure_status() {
	# usage: test_expect_failure_status 'title' EXPECTED_STATUS 'cmd'
	test_count=$((test_count + 1))
	_out=$(eval "$3" 2>&1)
	_st=$?
	if [ "$_st" -eq "$2" ]; then
		printf 'ok %d - %s\n' "$test_count" "$1"
	else
		test_failed=$((test_failed + 1))
		printf 'not ok %d - %s (status %d, wanted %d)\n' "$test_count" "$1" "$_st" "$2"
		printf '%s\n' "$_out" | sed 's/^/#   /'
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	printf 'ok %d # SKIP %s\n' "$test_count" "$1"
}

# Skip the whole script (for a missing kernel feature only).
skip_all() {
	printf '1..0 # SKIP %s\n' "$1"
	exit 0
}

test_done() {
	printf '1..%d\n' "$test_count"
	[ "$test_failed" -eq 0 ]
	exit $?
}

# Assertion helpers: print what differed, return non-zero.
test_cmp() { diff -u "$1" "$2"; }
test_path_is_file() { [ -f "$1" ] || { echo "not a file: $1"; return 1; }; }
test_path_is_dir() { [ -d "$1" ] || { echo "not a directory: $1"; return 1; }; }
test_path_is_missing() { ! [ -e "$1" ] && ! [ -L "$1" ] || { echo "exists: $1"; return 1; }; }
test_expect_code() {
	_want=$1
	shift
	"$@"
	_s=$?
	[ "$_s" -eq "$_want" ] ||
		{ echo "exit status $_s, wanted $_want: $*"; return 1; }
}
test_must_fail() { "$@"; _s=$?; [ $_s -ne 0 ] && [ $_s -lt 129 ] || { echo "should have failed (status $_s): $*"; return 1; }; }

require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (FUSE mounts and namespaces)"
	[ -c /dev/fuse ] || skip_all "no /dev/fuse"
}

# Mount overpackfs with layers L U W at M (all under $TRASH).
opfs_mount() {
	mkdir -p "$1" "$2" "$3" "$4" &&
	"$OVERPACKFS" -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
}
opfs_umount() { fusermount3 -u "$1"; }

# No mount of this test's may be left in the host's mount table: nothing
# at or below $TRASH (where the test's sessions live).  Other tests' mounts,
# running in parallel, are not this test's business.
no_overpack_mounts() {
	! awk -v t="$TRASH" '$5 == t || index($5, t "/") == 1 { f = 1 }
		END { exit !f }' /proc/self/mountinfo
}
