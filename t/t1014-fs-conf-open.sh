#!/bin/sh
test_description='open flags installers use, on lower, upper and copied-up objects, as on the host'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
. "$here/conf-lib.sh"
fs_require
umask 022

conf_make '
	for f in excl creat trunc rotrunc append rwapp nofol cr crx; do
		echo data >$f || exit 1
	done &&
	chmod 0600 creat && mkdir d tmp && echo c >d/c &&
	ln -s nofol sl && ln -s d sld && ln -s made dang
'

lower_snapshot
fs_mount

# What op-syscall prints for the same call on the host and the mount.
both() {
	same_as_host "op $1 \"\$Y/$2\" $3"
}

test_conf 'O_CREAT|O_EXCL: EEXIST on a file, a directory, a symlink, a dangling symlink' '
	expect EEXIST open "$X/excl" O_CREAT,O_EXCL,O_WRONLY 0644 &&
	expect EEXIST open "$X/d" O_CREAT,O_EXCL,O_RDONLY 0644 &&
	expect EEXIST open "$X/sl" O_CREAT,O_EXCL,O_WRONLY 0644 &&
	expect EEXIST open "$X/dang" O_CREAT,O_EXCL,O_WRONLY 0644 &&
	expect ENOENT lstat "$X/made" &&
	expect "ok data" read "$X/excl"
'

test_conf 'O_CREAT|O_EXCL of a new name creates it with the mode less umask' '
	expect ok open "$X/new" O_CREAT,O_EXCL,O_WRONLY 0666 new &&
	expect "ok type=reg mode=0644 size=3 nlink=1" lstat "$X/new" type mode size nlink &&
	expect "ok type=reg" lstat "$U/$V/new" type &&
	expect EEXIST open "$X/new" O_CREAT,O_EXCL,O_WRONLY 0666
'

test_conf 'O_CREAT of an existing file keeps its content and mode' '
	expect ok open "$X/creat" O_CREAT,O_WRONLY 0666 &&
	expect "ok data" read "$X/creat" &&
	expect "ok mode=0600" lstat "$X/creat" mode
'

test_conf 'O_CREAT through a dangling symlink creates its target' '
	both open dang "O_CREAT,O_WRONLY 0644 via-link" &&
	expect "ok via-link" read "$X/made" &&
	expect "ok made" readlink "$X/dang"
'

test_conf 'O_TRUNC empties the file; O_RDONLY|O_TRUNC does too, as on the host' '
	expect ok open "$X/trunc" O_WRONLY,O_TRUNC &&
	expect "ok size=0" lstat "$X/trunc" size &&
	both open rotrunc O_RDONLY,O_TRUNC &&
	same_as_host "op lstat \"\$Y/rotrunc\" size"
'

test_conf 'O_APPEND writes at the end, with O_WRONLY and with O_RDWR' '
	expect ok open "$X/append" O_WRONLY,O_APPEND 0 "+1" &&
	expect ok open "$X/append" O_WRONLY,O_APPEND 0 "+2" &&
	expect "ok data
+1+2" read "$X/append" &&
	expect ok open "$X/rwapp" O_RDWR,O_APPEND 0 "+" &&
	expect "ok data
+" read "$X/rwapp"
'

test_conf 'O_NOFOLLOW: ELOOP on a symlink, its target and O_PATH open normally' '
	expect ELOOP open "$X/sl" O_RDONLY,O_NOFOLLOW &&
	expect ELOOP open "$X/sl" O_WRONLY,O_NOFOLLOW &&
	expect ELOOP open "$X/sl" O_CREAT,O_WRONLY,O_NOFOLLOW 0644 &&
	expect ok open "$X/nofol" O_RDONLY,O_NOFOLLOW &&
	expect ok open "$X/sl" O_PATH,O_NOFOLLOW &&
	expect "ok type=lnk" lstat "$X/sl" type
'

test_conf 'O_DIRECTORY: ENOTDIR on a file and a symlink to one; a directory opens' '
	expect ENOTDIR open "$X/nofol" O_RDONLY,O_DIRECTORY &&
	expect ENOTDIR open "$X/sl" O_RDONLY,O_DIRECTORY &&
	expect ok open "$X/d" O_RDONLY,O_DIRECTORY &&
	expect ok open "$X/sld" O_RDONLY,O_DIRECTORY &&
	both open sld O_RDONLY,O_DIRECTORY,O_NOFOLLOW &&
	both open d O_WRONLY
'

test_conf 'creat truncates an existing file and creates a new one' '
	expect ok creat "$X/cr" 0600 "x" &&
	expect "ok x" read "$X/cr" &&
	expect "ok mode=0644" lstat "$X/cr" mode &&
	expect ok creat "$X/crnew" 0640 "y" &&
	expect "ok mode=0640 size=1" lstat "$X/crnew" mode size &&
	expect EISDIR creat "$X/d" 0644
'

# O_TMPFILE: skipped only where the host filesystem refuses it.  The file
# has no link until linkat gives it one; with O_EXCL it never gets one.
if "$OPSYSCALL" tmpfile "$TRASH" 0600 probe >/dev/null; then
	test_conf 'O_TMPFILE makes an unnamed file that linkat publishes' '
		expect "ok nlink=0" tmpfile "$X/tmp" 0640 "" &&
		test -z "$(ls -A "$X/tmp")" &&
		expect "ok nlink=0" tmpfile "$X/tmp" 0640 published "$X/tmp/pub" &&
		expect "ok published" read "$X/tmp/pub" &&
		expect "ok type=reg mode=0640 nlink=1 size=9" lstat "$X/tmp/pub" type mode nlink size &&
		expect "ok nlink=0" tmpfile "$X/tmp" 0600 across "$X/d/across" &&
		expect "ok across" read "$X/d/across" &&
		expect ENOENT tmpfile -x "$X/tmp" 0600 never "$X/tmp/never" &&
		expect ENOENT lstat "$X/tmp/never" &&
		expect ENOTDIR tmpfile "$X/nofol" 0600 "" &&
		expect EEXIST tmpfile "$X/tmp" 0640 again "$X/tmp/pub" &&
		expect "ok published" read "$X/tmp/pub"
	'
else
	test_skip "the host filesystem refuses O_TMPFILE"
fi

fs_done
