#!/bin/sh
test_description='atime, mtime, ctime and link counts change exactly as on the host filesystem, for lower, upper and copied-up objects'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
. "$here/conf-lib.sh"
fs_require
umask 022

# One object per case: every case changes it.  ts_check runs the same
# call on the host copy first; what changed there is what must change
# through the mount, and must also be what the title says.
conf_make '
	for f in chm cho wr tr otr oempty owr rd utnn uton utno utoo utset \
	    lk ren rensub xa; do
		echo data >$f || exit 1
	done &&
	: >oempty && echo data >ul && ln ul ul2 &&
	mkdir dd md rmd rmd/sub sub ls cw && echo x >ls/x && echo x >cw/x && ln -s chm sl
'

lower_snapshot
fs_mount

test_conf 'chmod changes ctime, not mtime or atime' '
	ts_check "1:ctime:nlink=1" "op chmod \"\$Y/chm\" 0600" chm
'

test_conf 'chown changes ctime only' '
	ts_check "1:ctime:nlink=1" "op chown \"\$Y/cho\" 5 6" cho
'

test_conf 'setxattr changes ctime only' '
	ts_check "1:ctime:nlink=1" "op setxattr \"\$Y/xa\" user.t v" xa
'

test_conf 'write changes mtime and ctime, not atime' '
	ts_check "1:mtime,ctime:nlink=1" \
		"op open \"\$Y/wr\" O_WRONLY,O_APPEND 0 more" wr
'

# Overlays: a copy-up is a new file, with a new ctime.
test_conf 'open for writing without a write changes no time' '
	KNOWN="*:lower=1:ctime:nlink=1" &&
	ts_check "1:none:nlink=1" "op open \"\$Y/owr\" O_WRONLY" owr
'

test_conf 'truncate changes mtime and ctime' '
	ts_check "1:mtime,ctime:nlink=1" "op truncate \"\$Y/tr\" 2" tr
'

test_conf 'O_TRUNC changes mtime and ctime' '
	ts_check "1:mtime,ctime:nlink=1" "op open \"\$Y/otr\" O_WRONLY,O_TRUNC" otr
'

test_conf 'O_TRUNC of an empty file changes mtime and ctime too' '
	ts_check "1:mtime,ctime:nlink=1" \
		"op open \"\$Y/oempty\" O_WRONLY,O_TRUNC" oempty
'

# Overlays: the lower layer is read-only, its atimes stay.
test_conf 'reading a file with an old atime changes atime (relatime)' '
	KNOWN="*:lower=1:none:nlink=1" &&
	ts_check "1:atime:nlink=1" "op read \"\$Y/rd\"" rd
'

# Kernel overlayfs: a merged directory's atime stays too.  overpackfs:
# the kernel keeps listings and serves them itself (overpackfs(8)), so a
# listing may not reach the upper directory either.
test_conf 'listing a directory with an old atime changes atime' '
	KNOWN="*:lower=1:none *:copied=1:none" &&
	ts_check "1:atime" "ls -A \"\$Y/ls\"" ls
'

test_conf 'utimensat UTIME_NOW, UTIME_NOW sets all three' '
	ts_check "1:atime,mtime,ctime:nlink=1" "op utimens \"\$Y/utnn\" now now" utnn
'

test_conf 'utimensat UTIME_OMIT, UTIME_NOW leaves atime' '
	ts_check "1:mtime,ctime:nlink=1" "op utimens \"\$Y/uton\" omit now" uton
'

test_conf 'utimensat UTIME_NOW, UTIME_OMIT leaves mtime' '
	ts_check "1:atime,ctime:nlink=1" "op utimens \"\$Y/utno\" now omit" utno
'

test_conf 'utimensat UTIME_OMIT, UTIME_OMIT changes nothing, ctime included' '
	ts_check "1:none:nlink=1" "op utimens \"\$Y/utoo\" omit omit" utoo
'

test_conf 'utimensat with explicit times sets them and ctime' '
	ts_check "1:atime,mtime,ctime:nlink=1" "op utimens \"\$Y/utset\" 5 6" utset &&
	expect "ok atime=5.000000000 mtime=6.000000000" lstat "$X/utset" atime mtime
'

test_conf 'lutimens of a symlink sets the link'"'"'s times, not the target'"'"'s' '
	ts_check "1:atime,mtime,ctime:nlink=1 2:none:nlink=1" \
		"op lutimens \"\$Y/sl\" now now" sl chm
'

test_conf 'link changes the file'"'"'s ctime and nlink, the directory'"'"'s mtime' '
	ts_check "1:ctime:nlink=2 2:mtime,ctime" \
		"op link \"\$Y/lk\" \"\$Y/lk2\"" lk . &&
	expect "ok nlink=2" lstat "$X/lk2" nlink
'

# Kernel overlayfs without index=on: a lower inode keeps its link count
# when a name is whited out, and the two names of a copied file are two
# files.  overpackfs links the name to a copy first (overpack-layer(5)).
test_conf 'unlink of one of two names changes the other'"'"'s ctime and nlink' '
	KNOWN="overlay:lower=1:none:nlink=2_2:mtime,ctime overlay:copied=1:none:nlink=1_2:mtime,ctime" &&
	ts_check "1:ctime:nlink=1 2:mtime,ctime" "op unlink \"\$Y/ul2\"" ul .
'

test_conf 'rename changes the file'"'"'s ctime and the parent'"'"'s mtime and ctime' '
	ts_check "1:ctime:nlink=1 2:mtime,ctime" \
		"op rename \"\$Y/ren\" \"\$Y/ren2\"" "ren>ren2" .
'

test_conf 'rename into a subdirectory changes both parents' '
	ts_check "1:ctime:nlink=1 2:mtime,ctime 3:mtime,ctime" \
		"op rename \"\$Y/rensub\" \"\$Y/sub/rensub\"" "rensub>sub/rensub" . sub
'

test_conf 'creating a file changes the directory'"'"'s mtime and ctime' '
	ts_check "1:mtime,ctime 2:none:nlink=1" \
		"op open \"\$Y/dd/new\" O_CREAT,O_EXCL,O_WRONLY 0644" dd chm
'

test_conf 'mkdir and rmdir change the parent'"'"'s mtime and ctime' '
	ts_check "1:mtime,ctime" "op mkdir \"\$Y/md/new\" 0755" md &&
	ts_check "1:mtime,ctime" "op rmdir \"\$Y/rmd/sub\"" rmd
'

test_conf 'copy-up of a file leaves its directory'"'"'s mtime' '
	KNOWN="*:lower=1:ctime:nlink=1_2:ctime" &&
	ts_check "1:none:nlink=1 2:ctime" \
		"op open \"\$Y/cw/x\" O_WRONLY && op chmod \"\$Y/cw\" 0755" cw/x cw
'

test_conf 'a failed call changes no time' '
	ts_check "1:none:nlink=1 2:none" \
		"op open \"\$Y/chm\" O_CREAT,O_EXCL,O_WRONLY 0644; op rmdir \"\$Y/sub\"; true" chm sub
'

fs_done
