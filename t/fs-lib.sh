# fs-lib.sh - helpers for the overlay filesystem tests (t1NNN-fs-*.sh).
#
# Sourced after test-lib.sh.  The layers live in $TRASH: lower L, upper U,
# work W, mount point M.  A script fills L, calls fs_mount, runs its cases
# with test_fs (which also checks that L is unchanged after each case) and
# ends with fs_done.
#
# OVERPACKFS_OPTS adds mount options to overpackfs (for example maxfds=8,
# to run every case with the fd cache under constant eviction).
#
# OVERPACK_TEST_FS selects the filesystem under test:
#	overpackfs (default)  $OVERPACKFS -o lowerdir=L,upperdir=U,workdir=W M
#	overlay               the kernel's overlayfs with redirect_dir=on, to
#	                      check the tests' expectations against the
#	                      reference implementation of the layer format;
#	                      OVERLAY_OPTS adds mount options to it.

: "${OVERPACK_TEST_FS:=overpackfs}"
L=$TRASH/lower
U=$TRASH/upper
W=$TRASH/work
M=$TRASH/mnt
export L U W M

# op CALL ARGS...: run t/op-syscall; prints "ok ..." or an errno name.
op() { "$OPSYSCALL" "$@"; }

# expect 'RESULT' CALL ARGS...: the call's output must be exactly RESULT.
expect() {
	_want=$1
	shift
	_got=$("$OPSYSCALL" "$@")
	[ "$_got" = "$_want" ] ||
		{ echo "op-syscall $*: expected '$_want', got '$_got'"; return 1; }
}

# field P NAME: one stat field's value, without following symlinks.
field() {
	_r=$("$OPSYSCALL" lstat "$1" "$2") || { echo "$_r" >&2; return 1; }
	echo "${_r#ok $2=}"
}

fs_require() {
	require_root
	case $OVERPACK_TEST_FS in
	overpackfs)
		# Not a missing kernel feature: a broken build fails.
		[ -x "$OVERPACKFS" ] ||
			{ echo "Bail out! $OVERPACKFS is not built"; exit 1; }
		;;
	overlay)
		grep -qw overlay /proc/filesystems ||
			skip_all "the kernel has no overlayfs"
		;;
	*)
		echo "Bail out! unknown OVERPACK_TEST_FS '$OVERPACK_TEST_FS'"
		exit 1
		;;
	esac
	[ -x "$OPSYSCALL" ] || { echo "Bail out! $OPSYSCALL is not built"; exit 1; }
	# The format keeps trusted.* xattrs in the upper layer.
	mkdir -p "$U" && setfattr -n trusted.overpack.probe -v 1 "$U" 2>/dev/null ||
		skip_all "no trusted.* xattrs on $TRASH's filesystem"
	setfattr -x trusted.overpack.probe "$U"
	mkdir -p "$L" "$W" "$M"
}

# In a sanitizer build the daemon's stderr is gone once it detaches, so
# reports go to files that fs_done checks.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TRASH/sanitizer"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$TRASH/sanitizer:print_stacktrace=1"

# The pid of the overpackfs daemon serving $M (found by its command line).
fs_daemon_pid() {
	for _p in /proc/[0-9]*; do
		_c=$(tr '\0' ' ' 2>/dev/null <"$_p/cmdline") || continue
		case $_c in
		"$OVERPACKFS "*" $M ") echo "${_p#/proc/}"; return 0 ;;
		esac
	done
	return 1
}

fs_mount() {
	case $OVERPACK_TEST_FS in
	overpackfs)
		"$OVERPACKFS" -o "lowerdir=$L,upperdir=$U,workdir=$W${OVERPACKFS_OPTS:+,$OVERPACKFS_OPTS}" "$M"
		;;
	overlay)
		mount -t overlay overlay \
			-o "lowerdir=$L,upperdir=$U,workdir=$W,redirect_dir=on${OVERLAY_OPTS:+,$OVERLAY_OPTS}" "$M"
		;;
	esac || { echo "Bail out! cannot mount $OVERPACK_TEST_FS on $M"; exit 1; }
	fs_is_mounted || { echo "Bail out! $M is not a mount point"; exit 1; }
}

fs_is_mounted() {
	awk -v m="$M" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# Is the process running?  An exited one that nobody reaped is a zombie.
fs_alive() {
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) &&
	[ "${_st%% *}" != Z ]
}

# Unmount; for overpackfs also wait (up to 10 s) for the daemon to exit.
fs_umount() {
	case $OVERPACK_TEST_FS in
	overpackfs)
		fs_pid=$(fs_daemon_pid) ||
			{ echo "no overpackfs daemon serves $M"; return 1; }
		fusermount3 -u "$M" || return 1
		_i=0
		while fs_alive "$fs_pid" && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		! fs_alive "$fs_pid" ||
			{ echo "overpackfs (pid $fs_pid) still runs after unmount"; return 1; }
		;;
	overlay)
		umount "$M"
		;;
	esac
}

fs_remount() { fs_umount && fs_mount; }

# A listing of the lower layer that changes if anything in it does: names,
# types, modes, owners, sizes, link counts, mtimes, contents, xattrs.
lower_listing() {
	(cd "$L" &&
	find . -printf '%p %y %m %u %g %s %n %T@ %l\n' | sort &&
	find . -type f -print0 | sort -z | xargs -0r sha256sum &&
	getfattr -R -P -h -d -m - -e hex .)
}

lower_snapshot() { lower_listing >"$TRASH/lower.snap"; }

lower_unchanged() {
	lower_listing >"$TRASH/lower.now" &&
	test_cmp "$TRASH/lower.snap" "$TRASH/lower.now"
}

# test_fs 'title' 'commands': a case, followed by the lower-layer check.
test_fs() {
	test_expect_success "$1" "{ $2
} && lower_unchanged"
}

# Finish: unmount cleanly, check the lower layer once more, print the plan.
fs_done() {
	test_expect_success 'unmount, and the lower layer is unchanged' '
		fs_umount && ! fs_is_mounted && lower_unchanged
	'
	test_expect_success 'no sanitizer reported anything' '
		for _f in "$TRASH"/sanitizer.*; do
			[ -e "$_f" ] || continue
			echo "== $_f" && cat "$_f" && exit 1
		done
	'
	test_done
}

# The upper layer's view of an entry.
upper_is_whiteout() {
	_t=$(stat -c '%F %t,%T' "$U/$1") || return 1
	[ "$_t" = "character special file 0,0" ] ||
		{ echo "upper '$1' is '$_t', not a whiteout"; return 1; }
}

# upper_xattr P NAME: the value of an xattr of an upper entry, or nothing.
upper_xattr() {
	getfattr --absolute-names --only-values -h -n "$2" "$U/$1" 2>/dev/null
}

# xattr_hex P NAME: an xattr's value in hex (0x...), not following symlinks.
xattr_hex() {
	getfattr --absolute-names -h -e hex -n "$2" "$1" 2>/dev/null |
		sed -n "s/^$2=//p"
}

upper_is_opaque() {
	[ "$(upper_xattr "$1" trusted.overlay.opaque)" = y ] ||
		{ echo "upper '$1' is not opaque"; return 1; }
}

upper_not_opaque() {
	[ -z "$(upper_xattr "$1" trusted.overlay.opaque)" ] ||
		{ echo "upper '$1' is opaque"; return 1; }
}

# copy_up P: make the filesystem copy P up without changing anything a
# user can see: open a file for writing, chown the rest to its own owner.
copy_up() {
	if [ -f "$M/$1" ] && ! [ -L "$M/$1" ]; then
		op open "$M/$1" O_WRONLY >/dev/null
	else
		op lchown "$M/$1" "$(field "$M/$1" uid)" \
			"$(field "$M/$1" gid)" >/dev/null
	fi &&
	{ [ -e "$U/$1" ] || [ -L "$U/$1" ] ||
		{ echo "copy_up: '$1' is not in the upper layer"; return 1; }; }
}

# ls_m DIR: the merged directory's entries, one per line, sorted.
ls_m() { ls -A1 "$M/$1" | sort; }

# expect_private CALL P NAME: reading a layer-format xattr through the mount
# must fail the way the kernel's overlayfs fails it.
expect_private() {
	_r=$("$OPSYSCALL" "$@")
	case $_r in
	EOPNOTSUPP|ENODATA) ;;
	*) echo "op-syscall $*: expected it hidden, got '$_r'"; return 1 ;;
	esac
}

# expect_ok CALL ARGS...: the call must print "ok", with or without a result.
expect_ok() {
	_r=$("$OPSYSCALL" "$@")
	case $_r in
	ok|"ok "*) ;;
	*) echo "op-syscall $*: expected ok, got '$_r'"; return 1 ;;
	esac
}
