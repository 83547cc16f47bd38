#!/bin/sh
test_description='mkdir, mkfifo, mknod, symlink and readlink'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

mkdir -p "$L/ldir/sub" "$L/gonedir/sub" &&
echo 'lower f' >"$L/f" && echo 'lower s' >"$L/ldir/s" &&
echo 'lower g' >"$L/gonedir/g" &&
ln -s f "$L/llnk" && ln -s /nowhere/at/all "$L/dangling" &&
mkfifo "$L/lfifo" && mknod "$L/lnull" c 1 3 || exit 1

lower_snapshot
fs_mount

test_fs 'mkdir makes an upper directory with the mode asked for' '
	expect ok mkdir "$M/nd" 0751 &&
	expect "ok type=dir mode=0751 uid=0 gid=0" lstat "$M/nd" type mode uid gid &&
	expect "ok type=dir mode=0751" lstat "$U/nd" type mode
'

test_fs 'mkdir of an existing name is EEXIST in every layer' '
	expect EEXIST mkdir "$M/nd" 0755 &&
	expect EEXIST mkdir "$M/ldir" 0755 &&
	expect EEXIST mkdir "$M/f" 0755 &&
	expect EEXIST mkdir "$M/llnk" 0755 &&
	test_path_is_missing "$U/ldir"
'

test_fs 'mkdir in a missing directory is ENOENT, under a file ENOTDIR' '
	expect ENOENT mkdir "$M/nosuch/d" 0755 &&
	expect ENOTDIR mkdir "$M/f/d" 0755
'

test_fs 'mkdir inside a lower directory copies up the parent, not opaque' '
	expect ok mkdir "$M/ldir/nd" 0700 &&
	printf "%s\n" nd s sub >expect && ls_m ldir >actual && test_cmp expect actual &&
	upper_not_opaque ldir &&
	expect "ok type=dir mode=0700" lstat "$M/ldir/nd" type mode
'

test_fs 'mkdir over a whited-out lower directory makes an opaque directory' '
	expect ok unlink "$M/gonedir/g" && expect ok rmdir "$M/gonedir/sub" &&
	expect ok rmdir "$M/gonedir" &&
	expect ok mkdir "$M/gonedir" 0755 &&
	test -z "$(ls -A "$M/gonedir")" &&
	expect ENOENT lstat "$M/gonedir/g" &&
	upper_is_opaque gonedir
'

test_fs 'mkfifo makes an upper fifo' '
	expect ok mknod "$M/fifo" fifo 0 0 0640 &&
	expect "ok type=fifo mode=0640" lstat "$M/fifo" type mode &&
	expect "ok type=fifo" lstat "$U/fifo" type &&
	expect EEXIST mknod "$M/fifo" fifo 0 0 0640 &&
	expect EEXIST mknod "$M/lfifo" fifo 0 0 0640
'

test_fs 'a fifo in the mount carries data between a writer and a reader' '
	(echo through >"$M/fifo" &) &&
	test "$(cat "$M/fifo")" = through
'

test_fs 'mknod makes character and block devices, as root, under the umask' '
	expect ok mknod "$M/null2" chr 1 3 0666 &&
	expect "ok type=chr mode=0644 rdev=1,3" lstat "$M/null2" type mode rdev &&
	expect ok mknod "$M/blk" blk 7 0 0600 &&
	expect "ok type=blk rdev=7,0" lstat "$M/blk" type rdev &&
	expect "ok type=chr rdev=1,3" lstat "$U/null2" type rdev
'

# The kernel refuses to let a user make what would read back as a whiteout.
test_fs 'mknod of a 0/0 character device is EPERM' '
	expect EPERM mknod "$M/zero0" chr 0 0 0600 &&
	expect ENOENT lstat "$M/zero0" &&
	test_path_is_missing "$U/zero0"
'

test_fs 'a lower device node and fifo read as themselves' '
	expect "ok type=chr rdev=1,3" lstat "$M/lnull" type rdev &&
	expect "ok type=fifo" lstat "$M/lfifo" type &&
	test -z "$(cat "$M/lnull")"
'

test_fs 'mknod of a regular file creates an empty file' '
	expect ok mknod "$M/reg" reg 0 0 0604 &&
	expect "ok type=reg mode=0604 size=0" lstat "$M/reg" type mode size
'

test_fs 'symlink makes an upper symlink that readlink returns verbatim' '
	expect ok symlink "../some/where" "$M/sl" &&
	expect "ok ../some/where" readlink "$M/sl" &&
	expect "ok type=lnk" lstat "$M/sl" type &&
	test "$(readlink "$U/sl")" = "../some/where"
'

test_fs 'symlink over an existing name is EEXIST in every layer' '
	expect EEXIST symlink x "$M/sl" &&
	expect EEXIST symlink x "$M/f" &&
	expect EEXIST symlink x "$M/llnk"
'

test_fs 'readlink of lower symlinks, including a dangling one' '
	expect "ok f" readlink "$M/llnk" &&
	expect "ok /nowhere/at/all" readlink "$M/dangling" &&
	expect ENOENT stat "$M/dangling" &&
	expect EINVAL readlink "$M/f"
'

test_fs 'a symlink with a long target round-trips' '
	long=$(printf "%0200d" 0)/$(printf "%0200d" 1)/$(printf "%0200d" 2) &&
	expect ok symlink "$long" "$M/long" &&
	expect "ok $long" readlink "$M/long"
'

test_fs 'a symlink in a lower directory resolves relative to it' '
	expect ok symlink s "$M/ldir/toS" &&
	expect "ok lower s" read "$M/ldir/toS"
'

test_fs 'new nodes survive a remount' '
	fs_remount &&
	expect "ok type=fifo" lstat "$M/fifo" type &&
	expect "ok type=chr rdev=1,3" lstat "$M/null2" type rdev &&
	expect "ok ../some/where" readlink "$M/sl" &&
	expect "ok type=dir mode=0751" lstat "$M/nd" type mode
'

fs_done
