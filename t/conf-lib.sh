# conf-lib.sh - run one conformance check on every kind of overlay object.
#
# Sourced after fs-lib.sh.  An overlay holds an object in one of three
# ways, and each can go wrong on its own, so every case runs three times:
#
#	lower   the object exists only in the lower layer
#	upper   it exists only in the upper layer (so does its directory)
#	copied  it was in the lower layer and is copied up when the case starts
#
# Before fs_mount, conf_make 'COMMANDS' builds the objects: COMMANDS run
# once with $D set to each of $L/lower, $L/copied and $U/upper, and once
# more with $D set to each of $H/lower, $H/upper and $H/copied, plain
# directories of the host filesystem that serve as the reference: the
# same operation done there says what the filesystem under test must do.
# Every time in these trees is then set to $T0.
#
# test_conf 'title' 'commands' runs the commands (with test_fs, so the
# lower layer is checked afterwards) once per variant, titled
# "title [variant]", with
#	$V  the variant (lower, upper or copied)
#	$X  the object's directory through the mount ($M/$V)
#	$R  the same directory on the host ($H/$V)
#
# test_expect_todo 'title' 'reason' 'commands' marks a known gap: TAP
# "# TODO", so it is reported but does not fail the suite; an unexpected
# pass prints "ok ... # TODO", which the TAP driver counts as XPASS.

H=$TRASH/host
T0=1000000000
export H T0

conf_make() {
	for D in "$L/lower" "$L/copied" "$U/upper" \
	    "$H/lower" "$H/upper" "$H/copied"; do
		mkdir -p "$D" && (cd "$D" && eval "$1") ||
			{ echo "Bail out! conf_make failed in $D"; exit 1; }
	done
	# -execdir: paths of 4096 bytes and more are fine below $D.
	find "$L/lower" "$L/copied" "$U/upper" "$H" \
	    -execdir touch -h -d "@$T0" {} + ||
		{ echo "Bail out! cannot set the times"; exit 1; }
}

# conf_copy_up: copy up everything in $M/copied that is not up yet,
# children before their directory, without changing what a user sees.
# The names come from the lower layer: listing the mount would change
# the directories' access times.
conf_copy_up() {
	(cd "$L/copied" && find . -mindepth 1 -depth) | while read -r _c; do
		_c=${_c#./}
		{ [ -e "$U/copied/$_c" ] || [ -L "$U/copied/$_c" ]; } && continue
		# Gone through the mount: an earlier case deleted or moved it.
		[ -e "$M/copied/$_c" ] || [ -L "$M/copied/$_c" ] || continue
		# A second name of a hard-linked file need not come up on its
		# own (the inode is up already); t1018 checks what it shows.
		if [ -f "$L/copied/$_c" ] &&
		    [ "$(field "$L/copied/$_c" nlink)" -gt 1 ]; then
			op open "$M/copied/$_c" O_WRONLY >/dev/null || exit 1
		else
			copy_up "copied/$_c" || exit 1
		fi
	done
}

test_conf() {
	for V in lower upper copied; do
		X=$M/$V
		R=$H/$V
		if [ $V = copied ]; then
			test_fs "$1 [$V]" "conf_copy_up && $2"
		else
			test_fs "$1 [$V]" "$2"
		fi
	done
}

test_expect_todo() {
	test_count=$((test_count + 1))
	_out=$(eval "$3" 2>&1)
	if [ $? -eq 0 ]; then
		printf 'ok %d - %s # TODO %s\n' "$test_count" "$1" "$2"
	else
		printf 'not ok %d - %s # TODO %s\n' "$test_count" "$1" "$2"
		printf '%s\n' "$_out" | sed 's/^/#   /'
	fi
}

# test_conf_todo 'title' 'VARIANTS' 'reason' 'commands': test_conf where
# the variants named in VARIANTS are a known gap (TODO); the others must
# pass as usual.
test_conf_todo() {
	for V in lower upper copied; do
		X=$M/$V
		R=$H/$V
		_pre=
		[ $V = copied ] && _pre='conf_copy_up && '
		case " $2 " in
		*" $V "*)
			test_expect_todo "$1 [$V]" "$3" "{ $_pre$4
} && lower_unchanged" ;;
		*)
			test_fs "$1 [$V]" "$_pre$4" ;;
		esac
	done
}

# ts_mark P...: remember the times of each P, then let the clock tick.
ts_mark() {
	for _p; do
		op lstat "$_p" atime mtime ctime || return 1
	done >"$TRASH/ts.mark"
	sleep 0.02
}

# ts_diff P...: for each P, which of its times changed since ts_mark was
# given the P in the same position, and its link count now (not for a
# directory).
ts_diff() {
	_i=0
	for _p; do
		_i=$((_i + 1))
		_old=$(sed -n "${_i}p" "$TRASH/ts.mark")
		_new=$(op lstat "$_p" atime mtime ctime) || return 1
		_ch=
		for _t in atime mtime ctime; do
			_a=$(printf '%s\n' "$_old" | tr ' ' '\n' | grep "^$_t=")
			_b=$(printf '%s\n' "$_new" | tr ' ' '\n' | grep "^$_t=")
			[ "$_a" = "$_b" ] || _ch="$_ch${_ch:+,}$_t"
		done
		# A merged directory's link count is 1 in an overlay.
		if [ -d "$_p" ] && ! [ -L "$_p" ]; then
			echo "$_i:${_ch:-none}"
		else
			echo "$_i:${_ch:-none}:nlink=$(field "$_p" nlink)"
		fi
	done
}

# ts_check 'WANT' 'COMMAND' SPEC...: run COMMAND with $Y set to the host
# directory $R, then to the directory through the mount $X; each SPEC is
# a path relative to $Y, or BEFORE>AFTER for an object that COMMAND moves.
# Which times of each changed must be the same both times, and on the
# host must be WANT ("1:ctime:nlink=1 2:mtime,ctime:nlink=2", a word per
# SPEC; see ts_diff).
#
# A known difference of overlays from a plain filesystem is allowed by
# setting KNOWN to words FS:VARIANT=RESULT, FS being overlay, overpackfs
# or * for both, and RESULT written with "_" for its spaces
# ("*:lower=1:none:nlink=2_2:mtime,ctime").
ts_check() {
	_want=$1 _cmd=$2
	shift 2
	for Y in "$R" "$X"; do
		_b= _a=
		for _s; do
			_b="$_b \"$Y/${_s%%>*}\""
			_a="$_a \"$Y/${_s#*>}\""
		done
		eval "ts_mark $_b" || return 1
		_r=$(eval "$_cmd") ||
			{ echo "in $Y: '$_cmd' failed: $_r"; return 1; }
		eval "ts_diff $_a" | tr '\n' ' ' | sed 's/ $//' >"$TRASH/ts.$([ "$Y" = "$R" ] && echo host || echo fs)"
	done
	_h=$(cat "$TRASH/ts.host") _f=$(cat "$TRASH/ts.fs")
	[ "$_h" = "$_want" ] ||
		{ echo "host: '$_cmd': expected '$_want', got '$_h' (test bug)"; return 1; }
	[ "$_f" = "$_h" ] && return 0
	for _k in $KNOWN; do
		_k=$(printf '%s' "$_k" | tr _ ' ')
		case $_k in
		"$OVERPACK_TEST_FS:$V=$_f"|"*:$V=$_f") return 0 ;;
		esac
	done
	echo "'$_cmd' [$V]: the host gives '$_h', the mount '$_f'"
	return 1
}

# same_as_host 'COMMAND': COMMAND (with $Y as in ts_check) prints the same
# on the host and through the mount.
same_as_host() {
	_h=$(Y=$R; eval "$1" 2>&1)
	_f=$(Y=$X; eval "$1" 2>&1)
	[ "$_h" = "$_f" ] ||
		{ echo "'$1' [$V]: the host gives '$_h', the mount '$_f'"; return 1; }
}

# expect_both 'RESULT' 'ARGS': op-syscall ARGS (evaluated with $Y set as
# in ts_check) prints RESULT on the host and through the mount.
expect_both() {
	for Y in "$R" "$X"; do
		_got=$(eval "\"\$OPSYSCALL\" $2")
		[ "$_got" = "$1" ] || {
			[ "$Y" = "$R" ] && _w="host (test bug)" || _w="mount [$V]"
			echo "$_w: op-syscall $2: expected '$1', got '$_got'"
			return 1
		}
	done
}

# as_nobody CALL ARGS...: op-syscall as uid/gid 65534 with no groups.
NB=65534
as_nobody() {
	setpriv --reuid=$NB --regid=$NB --clear-groups "$OPSYSCALL" "$@"
}

# expect_both_nobody 'RESULT' 'ARGS': expect_both, as uid/gid 65534.
expect_both_nobody() {
	for Y in "$R" "$X"; do
		_got=$(eval "as_nobody $2")
		[ "$_got" = "$1" ] || {
			[ "$Y" = "$R" ] && _w="host (test bug)" || _w="mount [$V]"
			echo "$_w: as 65534: op-syscall $2: expected '$1', got '$_got'"
			return 1
		}
	done
}

# conf_reachable: let uid 65534 reach the trees (mktemp -d made $TRASH 0700).
conf_reachable() {
	chmod 0755 "$TRASH" "$L" "$U" "$H" "$M" 2>/dev/null
	chmod 0755 "$TRASH" "$L" "$U" "$H"
}
