#!/bin/sh
test_description='what a POSIX conformance suite checks beyond t1014-t1019: set-id bits, chown -1 -1, sticky moves, errno in a path component, fifos, ETXTBSY, times of new objects, fallocate and utimensat rules, on lower, upper and copied-up objects, as on the host'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
. "$here/conf-lib.sh"
fs_require
command -v setpriv >/dev/null || skip_all "no setpriv(1) (util-linux)"
umask 022

N256=$(printf "%0256d" 6)
SLEEP=$(command -v sleep)
export N256 SLEEP
# Set-id modes another user clears, a file for each way: write (w, and x
# through the descriptor), truncate (t), ftruncate (f), open with O_TRUNC
# (o), and chown -1 -1 by the owner (c).  The modes in SGIDNX have setgid
# without group execute, which the kernel clears too when the writer is
# not in the file's group (Linux 6.2 and later).
SETID='4777 2777 6777'
SGIDNX='2767 2666'
export SETID SGIDNX
conf_make '
	for m in $SETID $SGIDNX; do
		for w in w x t f o c; do
			echo data >$w$m && chmod $m $w$m || exit 1
		done
		chown 65534 c$m
	done &&
	echo data >rootw && chmod 6777 rootw &&
	echo data >cg && chown 65534:65533 cg && chmod 6555 cg &&
	mkdir cgd && chown 65534:65533 cgd && chmod 6755 cgd &&
	echo data >cnb && echo data >cm1 && mkdir cm1d && ln -s cm1 cm1l &&
	mkfifo sfifo && mknod schr c 1 2 && mknod sblk b 1 2 &&
	"$OPSYSCALL" mknod ssock sock 0 0 0644 >/dev/null &&
	mkdir open && chmod 0777 open &&
	mkdir sk && chmod 1777 sk && echo r >sk/tgt && mkdir sk/rd &&
	mkdir sk/nd && chown 65534:65534 sk/nd &&
	echo n >open/nbf && echo n >open/nbf2 && chown 65534:65534 open/nbf open/nbf2 &&
	mkdir skn && chmod 1777 skn && chown 65534:65534 skn && mkdir skn/rd &&
	mkdir mvp mvq mvp/s &&
	echo data >f && ln -s loop2 loop1 && ln -s loop1 loop2 && mkdir d &&
	echo data >lk && mkdir rdd && echo x >rdd/x &&
	mkfifo fifo && "$OPSYSCALL" mknod sock sock 0 0 0644 >/dev/null &&
	cp "$SLEEP" slp &&
	mkdir new1 new2 new3 new4 &&
	echo data >dst && ln dst dstl && echo data >src &&
	mkfifo hf && ln hf hf2 && mknod hc c 1 2 && ln hc hc2 &&
	"$OPSYSCALL" mknod hs sock 0 0 0644 >/dev/null && ln hs hs2 &&
	: >fa0 && head -c 12345 /dev/zero >fa1 && echo data >fa2 && echo data >fa3 &&
	echo data >ul && echo data >ul2 && ln ul2 ul3 &&
	echo data >ut && chown 65534:65534 ut && chmod 0444 ut &&
	echo data >utw && chmod 0666 utw && echo data >utr && echo data >uty
'
conf_reachable
lower_snapshot
fs_mount
chmod 0755 "$M"

# Setuid and setgid: what a user without CAP_FSETID clears by changing a
# file, and what root keeps.
setid_write() {
	for m; do
		expect_both_nobody ok "open \"\$Y/w$m\" O_WRONLY,O_APPEND 0 x" &&
		same_as_host "op lstat \"\$Y/w$m\" mode" &&
		same_as_host "as_nobody fd \"\$Y/x$m\" O_RDWR 0 write=x fstat=mode" ||
			return 1
	done
}
setid_truncate() {
	for m; do
		expect_both_nobody ok "truncate \"\$Y/t$m\" 1" &&
		same_as_host "op lstat \"\$Y/t$m\" mode" &&
		same_as_host "as_nobody fd \"\$Y/f$m\" O_RDWR 0 ftruncate=2 fstat=mode" ||
			return 1
	done
}
setid_otrunc() {
	for m; do
		expect_both_nobody ok "open \"\$Y/o$m\" O_WRONLY,O_TRUNC" &&
		same_as_host "op lstat \"\$Y/o$m\" mode size" || return 1
	done
}
setid_chown() {
	for m; do
		expect_both_nobody ok "chown \"\$Y/c$m\" -1 -1" &&
		same_as_host "op lstat \"\$Y/c$m\" mode uid gid" || return 1
	done
}

test_conf 'set-id bits: a write by another user clears them, by root not' '
	setid_write $SETID &&
	expect_both ok "open \"\$Y/rootw\" O_WRONLY,O_APPEND 0 x" &&
	expect_both "ok mode=6777" "lstat \"\$Y/rootw\" mode"
'

test_conf 'set-id bits: truncate and ftruncate by another user clear them' '
	setid_truncate $SETID
'

test_conf 'set-id bits: an open with O_TRUNC by another user clears them' '
	setid_otrunc $SETID
'

test_conf 'set-id bits: chown -1 -1 by the owner clears them; other ids EPERM' '
	setid_chown $SETID &&
	expect_both_nobody EPERM "chown \"\$Y/cnb\" 65534 -1" &&
	expect_both_nobody EPERM "chown \"\$Y/cnb\" -1 65534" &&
	expect_both_nobody ok "chown \"\$Y/cnb\" -1 -1" &&
	expect_both_nobody ok "lchown \"\$Y/cnb\" -1 -1" &&
	expect_both "ok mode=0644 uid=0 gid=0" "lstat \"\$Y/cnb\" mode uid gid"
'

todo=
[ "$OVERPACK_TEST_FS" = overpackfs ] && todo='lower upper copied'
test_conf_todo 'set-id bits: setgid without group execute, changed by a non-member' \
    "$todo" 'the kernel'"'"'s FUSE client keeps it (overpackfs(8) CAVEATS)' '
	setid_write $SGIDNX && setid_truncate $SGIDNX &&
	setid_otrunc $SGIDNX && setid_chown $SGIDNX
'

# in_groups CALL ARGS...: op-syscall as the owner 65534, with the
# supplementary groups 65533 and 65532.
in_groups() {
	setpriv --reuid=65534 --regid=65533 --groups=65533,65532 "$OPSYSCALL" "$@"
}
test_conf 'chown to a group of ones own clears set-id bits of a file, not of a directory' '
	same_as_host "in_groups chown \"\$Y/cg\" -1 65532" &&
	expect_both "ok mode=0555 uid=65534 gid=65532" "lstat \"\$Y/cg\" mode uid gid" &&
	same_as_host "in_groups chown \"\$Y/cgd\" 65534 65532" &&
	expect_both "ok mode=6755 uid=65534 gid=65532" "lstat \"\$Y/cgd\" mode uid gid" &&
	same_as_host "in_groups chown \"\$Y/cg\" -1 0" &&
	expect_both "ok gid=65532" "lstat \"\$Y/cg\" gid"
'

test_conf 'chown by root clears set-id bits of fifos, devices and sockets' '
	for t in sfifo schr sblk ssock; do
		expect_both ok "chmod \"\$Y/$t\" 06555" &&
		expect_both ok "chown \"\$Y/$t\" 5 6" &&
		expect_both "ok mode=0555 uid=5 gid=6" "lstat \"\$Y/$t\" mode uid gid" ||
			return 1
	done
'

test_conf 'chown -1 -1 changes ctime: file, directory, symlink' '
	ts_check "1:ctime:nlink=1" "op chown \"\$Y/cm1\" -1 -1" cm1 &&
	ts_check "1:ctime" "op chown \"\$Y/cm1d\" -1 -1" cm1d &&
	ts_check "1:ctime:nlink=1 2:none:nlink=1" "op lchown \"\$Y/cm1l\" -1 -1" cm1l cm1
'

# A sticky directory guards its entries against those who own neither
# the entry nor the directory; moving a directory to another parent also
# needs write permission on it, for its "..".
test_conf 'sticky directories: rename over, rmdir and move out as another user' '
	expect_both_nobody EPERM "rename \"\$Y/open/nbf\" \"\$Y/sk/tgt\"" &&
	expect_both_nobody ok "rename \"\$Y/open/nbf\" \"\$Y/sk/nbf\"" &&
	expect_both_nobody EPERM "rmdir \"\$Y/sk/rd\"" &&
	expect_both_nobody EPERM "rename \"\$Y/sk/rd\" \"\$Y/open/rd\"" &&
	expect_both_nobody ok "rename \"\$Y/sk/nd\" \"\$Y/open/nd\"" &&
	expect_both_nobody ok "rename \"\$Y/skn/rd\" \"\$Y/skn/rd2\"" &&
	expect_both_nobody EACCES "rename \"\$Y/skn/rd2\" \"\$Y/open/rd\"" &&
	expect_both_nobody ok "rename \"\$Y/open/nbf2\" \"\$Y/skn/nbf2\"" &&
	expect_both "ok r" "read \"\$Y/sk/tgt\"" &&
	expect_both "ok type=dir uid=0" "lstat \"\$Y/skn/rd2\" type uid"
'

test_conf 'a directory moved to another parent: its ".." follows' '
	expect_both ok "rename \"\$Y/mvp/s\" \"\$Y/mvq/s\"" &&
	for Y in "$R" "$X"; do
		test "$(field "$Y/mvq/s/.." ino)" = "$(field "$Y/mvq" ino)" ||
			{ echo "$Y/mvq/s/.. is not $Y/mvq"; return 1; }
	done
'

# Every call, with a path whose middle component is P.
each_call() {
	_e=$1 _p=$2
	for _c in "mkdir $_p/x 0755" "mknod $_p/x fifo 0 0 0644" \
	    "symlink t $_p/x" "link \$Y/lk $_p/x" "link $_p/x \$Y/lk2" \
	    "rename $_p/x \$Y/rn" "rename \$Y/lk $_p/x" "unlink $_p/x" \
	    "rmdir $_p/x" "chmod $_p/x 0644" "chown $_p/x 0 0" \
	    "lchown $_p/x 0 0" "truncate $_p/x 0" "utimens $_p/x now now" \
	    "open $_p/x O_CREAT,O_WRONLY 0644" "lstat $_p/x" "readlink $_p/x" \
	    "setxattr $_p/x user.x 1" "access $_p/x F_OK"; do
		expect_both "$_e" "$_c" || return 1
	done
}

test_conf 'a file, a symlink loop or a 256-byte name in the middle of a path, for every call' '
	each_call ENOTDIR "\$Y/f" &&
	each_call ELOOP "\$Y/loop1" &&
	each_call ENAMETOOLONG "\$Y/$N256" &&
	each_call ENOENT "\$Y/missing" &&
	expect_both "ok type=reg" "lstat \"\$Y/lk\" type"
'

test_conf 'a 256-byte last name, for every call that names one' '
	for c in "link \$Y/lk" "mknod" "mkdir" "symlink t" "unlink" "rmdir" \
	    "chmod" "truncate" "utimens" "setxattr" "access"; do
		case $c in
		mknod) a="fifo 0 0 0644" ;; mkdir|chmod) a=0755 ;;
		truncate) a=0 ;; utimens) a="now now" ;;
		setxattr) a="user.x 1" ;; access) a=F_OK ;; *) a= ;;
		esac
		expect_both ENAMETOOLONG "$c \"\$Y/$N256\" $a" || return 1
	done
'

test_conf 'symlink: a target of 4095 bytes is kept whole, 4096 is ENAMETOOLONG' '
	t=$(printf "%04095d" 1) &&
	expect_both ok "symlink $t \"\$Y/longt\"" &&
	expect_both "ok $t" "readlink \"\$Y/longt\"" &&
	expect_both ENAMETOOLONG "symlink ${t}2 \"\$Y/longt2\""
'

test_conf 'fifos and sockets: O_NONBLOCK|O_WRONLY with no reader is ENXIO; a socket does not open' '
	expect_both ENXIO "open \"\$Y/fifo\" O_WRONLY,O_NONBLOCK" &&
	expect_both ok "open \"\$Y/fifo\" O_RDONLY,O_NONBLOCK" &&
	expect_both ok "open \"\$Y/fifo\" O_RDWR,O_NONBLOCK" &&
	expect_both ENXIO "open \"\$Y/sock\" O_RDONLY" &&
	expect_both ENXIO "open \"\$Y/sock\" O_RDWR" &&
	expect_both "ok type=sock" "lstat \"\$Y/sock\" type"
'

test_conf 'a running program: ETXTBSY for writing or truncating it, unlink is fine' '
	for Y in "$R" "$X"; do
		"$Y/slp" 30 & pid=$!
		i=0
		while [ "$(readlink "/proc/$pid/exe")" != "$Y/slp" ] && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
		r=$(op open "$Y/slp" O_WRONLY; op truncate "$Y/slp" 0;
			op open "$Y/slp" O_RDWR,O_TRUNC; op open "$Y/slp" O_RDONLY)
		kill $pid; wait $pid
		test "$(echo $r)" = "ETXTBSY ETXTBSY ETXTBSY ok" ||
			{ echo "$Y: $r"; return 1; }
	done &&
	expect_both ok "unlink \"\$Y/slp\""
'

test_conf 'mknod and mkfifo: EEXIST on every type, EACCES and EPERM for others, each node type' '
	for t in f d fifo sock loop1 dstl; do
		expect_both EEXIST "mknod \"\$Y/$t\" fifo 0 0 0644" || return 1
	done &&
	expect_both_nobody EACCES "mknod \"\$Y/d/x\" fifo 0 0 0644" &&
	expect_both_nobody EPERM "mknod \"\$Y/open/c\" chr 1 2 0644" &&
	expect_both_nobody ok "mknod \"\$Y/open/p\" fifo 0 0 0644" &&
	expect_both "ok type=fifo mode=0644 uid=65534" "lstat \"\$Y/open/p\" type mode uid" &&
	expect_both ok "mknod \"\$Y/d/b\" blk 4095 1048575 0755" &&
	expect_both "ok type=blk mode=0755 rdev=4095,1048575" "lstat \"\$Y/d/b\" type mode rdev" &&
	expect_both ok "mknod \"\$Y/d/s\" sock 0 0 0640" &&
	expect_both "ok type=sock mode=0640" "lstat \"\$Y/d/s\" type mode" &&
	expect_both ok "mknod \"\$Y/d/r\" reg 0 0 0600" &&
	expect_both "ok type=reg mode=0600 size=0" "lstat \"\$Y/d/r\" type mode size"
'

# The new object's three times are one; its directory's mtime and ctime
# change.
one_time() {
	_t=$(op lstat "$1" atime mtime ctime | tr " " "\n" | sed -n "s/^[a-z]*=//p" | sort -u | wc -l)
	[ "$_t" -eq 1 ] || { echo "$1: times differ"; return 1; }
}
test_conf 'symlink, mkfifo, mknod and bind set the directory'"'"'s mtime and ctime' '
	ts_check "1:mtime,ctime" "op symlink t \"\$Y/new1/n\"" new1 &&
	ts_check "1:mtime,ctime" "op mknod \"\$Y/new2/n\" fifo 0 0 0644" new2 &&
	ts_check "1:mtime,ctime" "op mknod \"\$Y/new3/n\" chr 1 2 0644" new3 &&
	ts_check "1:mtime,ctime" "op mknod \"\$Y/new4/n\" sock 0 0 0644" new4 &&
	for n in new1 new2 new3 new4; do
		one_time "$X/$n/n" || return 1
	done
'

# Kernel overlayfs without index=on: the names of a lower file are two
# files once one is copied up (see t1015).
test_conf 'rename over one of two names: the other loses a link, its ctime changes' '
	KNOWN="overlay:lower=1:none:nlink=2 overlay:copied=1:none:nlink=1" &&
	ts_check "1:ctime:nlink=1" "op rename \"\$Y/src\" \"\$Y/dst\"" dstl &&
	expect_both "ok data" "read \"\$Y/dst\""
'

todo=
[ "$OVERPACK_TEST_FS" = overlay ] && todo='lower copied'
test_conf_todo 'hard links of a fifo, a device and a socket share mode, owner and count' \
    "$todo" 'kernel overlayfs without index=on splits hard links at copy-up' '
	for t in hf hc hs; do
		expect_both ok "link \"\$Y/${t}2\" \"\$Y/${t}3\"" &&
		expect_both ok "chmod \"\$Y/${t}3\" 0201" &&
		expect_both ok "chown \"\$Y/${t}3\" 65534 65533" &&
		expect_both "ok mode=0201 nlink=3 uid=65534 gid=65533" "lstat \"\$Y/$t\" mode nlink uid gid" &&
		expect_both ok "unlink \"\$Y/$t\"" &&
		expect_both "ok mode=0201 nlink=2" "lstat \"\$Y/${t}2\" mode nlink" ||
			return 1
	done
'

test_conf 'posix_fallocate: grows an empty and a written file, sets mtime and ctime' '
	expect_both "ok size=567" "fd \"\$Y/fa0\" O_RDWR 0 fallocate=0,567 fstat=size" &&
	expect_both "ok size=23456" "fd \"\$Y/fa1\" O_RDWR 0 fallocate=20000,3456 fstat=size" &&
	ts_check "1:mtime,ctime:nlink=1" "op fd \"\$Y/fa2\" O_RDWR 0 fallocate=0,123" fa2 &&
	KNOWN="*:lower=1:ctime:nlink=1" &&
	ts_check "1:none:nlink=1" "op fd \"\$Y/fa3\" O_WRONLY 0 fallocate=0,0; true" fa3
'

test_conf 'a file made with mode 0 is usable through the descriptor that made it' '
	expect_both "ok mode=0000 size=5" "fd \"\$Y/open/m0\" O_CREAT,O_EXCL,O_RDWR 0 fallocate=0,1 ftruncate=5 write=ab fstat=mode,size" &&
	expect_both_nobody "ok mode=0000 size=5" "fd \"\$Y/open/m1\" O_CREAT,O_EXCL,O_RDWR 0 fallocate=0,1 ftruncate=5 write=ab fstat=mode,size" &&
	expect_both_nobody EACCES "read \"\$Y/open/m1\""
'

test_conf 'an unlinked open file: fstat shows no link, its data stays' '
	expect_both "ok nlink=0 size=5" "fd \"\$Y/ul\" O_RDWR 0 unlink write=hello fstat=nlink,size"
'

todo=
[ "$OVERPACK_TEST_FS" = overlay ] && todo='lower copied'
test_conf_todo 'an open file with two names, one unlinked: fstat shows one link' \
    "$todo" 'kernel overlayfs without index=on splits hard links at copy-up' '
	expect_both "ok nlink=1" "fd \"\$Y/ul2\" O_RDWR 0 unlink fstat=nlink" &&
	expect_both "ok nlink=1 size=5" "lstat \"\$Y/ul3\" nlink size"
'

test_conf 'utimensat: the owner without write, others with write for UTIME_NOW only' '
	expect_both_nobody ok "utimens \"\$Y/ut\" now now" &&
	expect_both_nobody ok "utimens \"\$Y/ut\" 1900000000 1950000000" &&
	expect_both "ok atime=1900000000.000000000 mtime=1950000000.000000000" "lstat \"\$Y/ut\" atime mtime" &&
	expect_both_nobody ok "utimens \"\$Y/utw\" now now" &&
	expect_both_nobody EPERM "utimens \"\$Y/utw\" omit 1950000000" &&
	expect_both_nobody EPERM "utimens \"\$Y/utw\" now omit" &&
	expect_both_nobody EPERM "utimens \"\$Y/utw\" 5 6" &&
	expect_both_nobody EACCES "utimens \"\$Y/utr\" now now" &&
	expect_both_nobody ok "utimens \"\$Y/utr\" omit omit"
'

test_conf 'utimensat: times past 2038 and 2106, and to the nanosecond' '
	expect_both ok "utimens \"\$Y/uty\" 2147483648 4294967296" &&
	expect_both "ok atime=2147483648.000000000 mtime=4294967296.000000000" "lstat \"\$Y/uty\" atime mtime" &&
	expect_both ok "utimens \"\$Y/uty\" 100000000.1 200000000.123456789" &&
	expect_both "ok atime=100000000.100000000 mtime=200000000.123456789" "lstat \"\$Y/uty\" atime mtime"
'

test_conf 'open: O_WRONLY|O_RDWR opens, O_TRUNC of a directory is EISDIR' '
	expect_both ok "open \"\$Y/f\" O_WRONLY,O_RDWR" &&
	expect_both EISDIR "open \"\$Y/rdd\" O_RDONLY,O_TRUNC" &&
	expect_both EISDIR "open \"\$Y/rdd\" O_RDWR,O_TRUNC" &&
	expect_both "ok data" "read \"\$Y/f\""
'

fs_done
