#!/bin/sh
test_description='permissions as an unprivileged user on lower, upper and copied-up objects: sticky, search, write, setgid'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
. "$here/conf-lib.sh"
fs_require
command -v setpriv >/dev/null || skip_all "no setpriv(1) (util-linux)"
umask 022

G=1234
conf_make '
	mkdir st nx rnx wd wd/sub open sg sgo &&
	chmod 1777 st && echo r >st/rootf && echo n >st/nbf && echo n >st/nbmv &&
	chown 65534:65534 st/nbf st/nbmv && echo r >st/rootmv &&
	echo s >nx/f && chmod 0700 nx &&
	echo s >rnx/f && chmod 0744 rnx &&
	echo w >wd/f && echo w >wd/sub/f && chmod 0666 wd/sub/f &&
	chmod 0777 open &&
	chgrp '$G' sg sgo && chmod 2775 sg && chmod 2777 sgo
'
conf_reachable
lower_snapshot
fs_mount
chmod 0755 "$M"

test_conf 'sticky directory: others'"'"' files can be neither deleted nor renamed' '
	expect_both_nobody EPERM "unlink \"\$Y/st/rootf\"" &&
	expect_both_nobody EPERM "rename \"\$Y/st/rootmv\" \"\$Y/st/x\"" &&
	expect_both_nobody ok "unlink \"\$Y/st/nbf\"" &&
	expect_both_nobody ok "rename \"\$Y/st/nbmv\" \"\$Y/st/nbmv2\"" &&
	expect_both_nobody ok "open \"\$Y/st/mine\" O_CREAT,O_EXCL,O_WRONLY 0644" &&
	expect_both "ok uid=65534" "lstat \"\$Y/st/mine\" uid" &&
	expect_both "ok r" "read \"\$Y/st/rootf\"" &&
	expect_both ENOENT "lstat \"\$Y/st/nbf\""
'

test_conf 'search permission: no x on a parent is EACCES below it' '
	expect_both_nobody EACCES "lstat \"\$Y/nx/f\"" &&
	expect_both_nobody EACCES "read \"\$Y/nx/f\"" &&
	expect_both_nobody EACCES "lstat \"\$Y/rnx/f\"" &&
	expect_both_nobody EACCES "open \"\$Y/nx/g\" O_CREAT,O_WRONLY 0644" &&
	expect_both "ok s" "read \"\$Y/nx/f\"" &&
	same_as_host "setpriv --reuid=65534 --regid=65534 --clear-groups ls \"\$Y/rnx\""
'

test_conf 'write permission: on the directory for names, on the file for data' '
	expect_both_nobody EACCES "open \"\$Y/wd/new\" O_CREAT,O_WRONLY 0644" &&
	expect_both_nobody EACCES "unlink \"\$Y/wd/f\"" &&
	expect_both_nobody EACCES "rename \"\$Y/wd/f\" \"\$Y/open/f\"" &&
	expect_both_nobody EACCES "open \"\$Y/wd/f\" O_WRONLY" &&
	expect_both_nobody EACCES "truncate \"\$Y/wd/f\" 0" &&
	expect_both_nobody ok "open \"\$Y/wd/sub/f\" O_WRONLY,O_APPEND 0 +" &&
	expect_both "ok w
+" "read \"\$Y/wd/sub/f\"" &&
	expect_both "ok uid=0 mode=0666" "lstat \"\$Y/wd/sub/f\" uid mode" &&
	expect_both_nobody ok "mkdir \"\$Y/open/mine\" 0755" &&
	expect_both "ok uid=65534 gid=65534" "lstat \"\$Y/open/mine\" uid gid"
'

test_conf 'setgid directory: new files take its group, new directories its group and bit' '
	expect_both ok "open \"\$Y/sg/f\" O_CREAT,O_EXCL,O_WRONLY 0644" &&
	expect_both "ok gid=$G mode=0644" "lstat \"\$Y/sg/f\" gid mode" &&
	expect_both ok "mkdir \"\$Y/sg/d\" 0755" &&
	expect_both "ok gid=$G mode=2755" "lstat \"\$Y/sg/d\" gid mode" &&
	expect_both ok "mkdir \"\$Y/sg/d/dd\" 0700" &&
	expect_both "ok gid=$G mode=2700" "lstat \"\$Y/sg/d/dd\" gid mode" &&
	expect_both ok "mknod \"\$Y/sg/fifo\" fifo 0 0 0644" &&
	expect_both "ok gid=$G" "lstat \"\$Y/sg/fifo\" gid" &&
	expect_both ok "symlink x \"\$Y/sg/sl\"" &&
	expect_both "ok gid=$G" "lstat \"\$Y/sg/sl\" gid"
'

test_conf 'setgid directory, another user: its group, and no setgid bit it may not set' '
	expect_both_nobody ok "open \"\$Y/sgo/f\" O_CREAT,O_EXCL,O_WRONLY 02755" &&
	expect_both "ok uid=65534 gid=$G mode=0755" "lstat \"\$Y/sgo/f\" uid gid mode" &&
	expect_both_nobody ok "mkdir \"\$Y/sgo/d\" 0755" &&
	expect_both "ok uid=65534 gid=$G mode=2755" "lstat \"\$Y/sgo/d\" uid gid mode" &&
	expect_both_nobody ok "chmod \"\$Y/sgo/f\" 02755" &&
	expect_both "ok mode=0755" "lstat \"\$Y/sgo/f\" mode" &&
	expect_both_nobody EPERM "chown \"\$Y/sgo/f\" -1 0"
'

fs_done
