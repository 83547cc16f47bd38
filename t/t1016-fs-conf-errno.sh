#!/bin/sh
test_description='errno for failing calls, on lower, upper and copied-up objects, as on the host; never EXDEV'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
. "$here/conf-lib.sh"
fs_require
command -v setpriv >/dev/null || skip_all "no setpriv(1) (util-linux)"
umask 022

N256=$(printf "%0256d" 6)
# Paths of "./" repeated: 4096 bytes (too long with anything after it),
# and 3800 bytes (fine).
LONGP=$(printf '%02048d' 0 | sed 's/0/.\//g')
OKP=$(printf '%01900d' 0 | sed 's/0/.\//g')
conf_make '
	echo data >f && echo data >secret && chmod 0600 secret &&
	mkdir d e ne ne/sub full emp lonly ro rmf mv mv/in nest &&
	echo c >full/c && echo c >ne/c && echo c >lonly/c &&
	echo c >mv/in/f && chmod 0555 ro &&
	ln -s loop2 loop1 && ln -s loop1 loop2 && ln -s f sl
'
conf_reachable
lower_snapshot
fs_mount
chmod 0755 "$M"

test_conf 'ENOENT: missing names, missing parents, deleted names' '
	expect_both ENOENT "lstat \"\$Y/missing\"" &&
	expect_both ENOENT "open \"\$Y/missing\" O_RDONLY" &&
	expect_both ENOENT "open \"\$Y/nodir/x\" O_CREAT,O_WRONLY 0644" &&
	expect_both ENOENT "unlink \"\$Y/missing\"" &&
	expect_both ENOENT "rmdir \"\$Y/missing\"" &&
	expect_both ENOENT "rename \"\$Y/missing\" \"\$Y/x\"" &&
	expect_both ENOENT "link \"\$Y/missing\" \"\$Y/x\"" &&
	expect_both ok "rmdir \"\$Y/rmf\"" &&
	expect_both ENOENT "lstat \"\$Y/rmf\"" &&
	expect_both ENOENT "rmdir \"\$Y/rmf\""
'

test_conf 'EEXIST: mkdir, symlink, link, mknod and RENAME_NOREPLACE onto a name' '
	expect_both EEXIST "mkdir \"\$Y/f\" 0755" &&
	expect_both EEXIST "mkdir \"\$Y/d\" 0755" &&
	expect_both EEXIST "symlink x \"\$Y/d\"" &&
	expect_both EEXIST "symlink x \"\$Y/sl\"" &&
	expect_both EEXIST "link \"\$Y/f\" \"\$Y/sl\"" &&
	expect_both EEXIST "mknod \"\$Y/f\" fifo 0 0 0644" &&
	expect_both EEXIST "rename \"\$Y/f\" \"\$Y/sl\" NOREPLACE" &&
	expect_both EEXIST "open \"\$Y/loop1\" O_CREAT,O_EXCL,O_WRONLY 0644" &&
	expect_both "ok type=lnk" "lstat \"\$Y/sl\" type"
'

test_conf 'ENOTEMPTY: rmdir and rename over a directory with an entry of any layer' '
	expect_both ENOTEMPTY "rmdir \"\$Y/full\"" &&
	expect_both ENOTEMPTY "rename \"\$Y/e\" \"\$Y/full\"" &&
	expect_both ok "open \"\$Y/emp/new\" O_CREAT,O_WRONLY 0644" &&
	expect_both ENOTEMPTY "rmdir \"\$Y/emp\"" &&
	expect_both ok "unlink \"\$Y/emp/new\"" &&
	expect_both ok "unlink \"\$Y/lonly/c\"" &&
	expect_both ok "rmdir \"\$Y/lonly\"" &&
	expect_both ENOENT "lstat \"\$Y/lonly\"" &&
	expect_both "ok c" "read \"\$Y/full/c\""
'

test_conf 'ENOTDIR: a file as a path component, rmdir of a file, a directory over a file' '
	expect_both ENOTDIR "lstat \"\$Y/f/x\"" &&
	expect_both ENOTDIR "open \"\$Y/f/x\" O_CREAT,O_WRONLY 0644" &&
	expect_both ENOTDIR "rmdir \"\$Y/f\"" &&
	expect_both ENOTDIR "rmdir \"\$Y/sl\"" &&
	expect_both ENOTDIR "rename \"\$Y/d\" \"\$Y/f\"" &&
	expect_both ENOTDIR "mkdir \"\$Y/sl/x\" 0755" &&
	expect_both "ok type=dir" "lstat \"\$Y/d\" type"
'

test_conf 'EISDIR: unlink of a directory, a file renamed over one, a directory opened for writing' '
	expect_both EISDIR "unlink \"\$Y/d\"" &&
	expect_both EISDIR "rename \"\$Y/f\" \"\$Y/d\"" &&
	expect_both EISDIR "open \"\$Y/d\" O_WRONLY" &&
	expect_both EISDIR "open \"\$Y/d\" O_RDWR" &&
	expect_both "ok data" "read \"\$Y/f\""
'

test_conf 'EINVAL: a directory renamed into itself' '
	expect_both EINVAL "rename \"\$Y/nest\" \"\$Y/nest/in\"" &&
	expect_both "ok type=dir" "lstat \"\$Y/nest\" type"
'

test_conf 'ELOOP: a symlink loop, O_NOFOLLOW on a symlink' '
	expect_both ELOOP "open \"\$Y/loop1\" O_RDONLY" &&
	expect_both ELOOP "stat \"\$Y/loop1\"" &&
	expect_both ELOOP "open \"\$Y/sl\" O_RDONLY,O_NOFOLLOW" &&
	expect_both "ok type=lnk" "lstat \"\$Y/loop1\" type"
'

test_conf 'ENAMETOOLONG: a 256-byte name, a path over 4095 bytes' '
	expect_both ENAMETOOLONG "lstat \"\$Y/$N256\"" &&
	expect_both ENAMETOOLONG "open \"\$Y/$N256\" O_CREAT,O_WRONLY 0644" &&
	expect_both ENAMETOOLONG "mkdir \"\$Y/$N256\" 0755" &&
	expect_both ENAMETOOLONG "rename \"\$Y/f\" \"\$Y/$N256\"" &&
	expect_both ENAMETOOLONG "symlink f \"\$Y/$N256\"" &&
	expect_both ENAMETOOLONG "lstat \"\$Y/${LONGP}f\"" &&
	expect_both "ok type=reg" "lstat \"\$Y/${OKP}f\" type"
'

test_conf 'EACCES: reading a 0600 file, creating in a 0555 directory, as another user' '
	expect_both_nobody EACCES "read \"\$Y/secret\"" &&
	expect_both_nobody EACCES "open \"\$Y/ro/x\" O_CREAT,O_WRONLY 0644" &&
	expect_both_nobody EACCES "open \"\$Y/f\" O_WRONLY" &&
	expect_both_nobody "ok data" "read \"\$Y/f\""
'

test_conf 'EPERM: link to a directory; chmod of a file one does not own' '
	expect_both EPERM "link \"\$Y/d\" \"\$Y/dl\"" &&
	expect_both_nobody EPERM "chmod \"\$Y/f\" 0666" &&
	expect_both "ok mode=0644" "lstat \"\$Y/f\" mode"
'

test_conf 'never EXDEV: renames and links across directories and layers' '
	expect ok rename "$X/mv" "$M/upper/mv-$V" &&
	expect ok rename "$M/upper/mv-$V/in" "$M/lower/in-$V" &&
	expect "ok c" read "$M/lower/in-$V/f" &&
	expect ok link "$M/lower/in-$V/f" "$M/copied/f-$V" &&
	expect ok rename "$M/copied/f-$V" "$M/upper/f-$V" &&
	expect "ok nlink=2" lstat "$M/upper/f-$V" nlink &&
	expect ENOENT lstat "$X/mv"
'

fs_done
