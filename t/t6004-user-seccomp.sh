#!/bin/sh
test_description='overpack run without root: chown to ids outside the map and device nodes are recorded through seccomp, never faked'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/user-lib.sh"
user_require
command -v bsdtar >/dev/null || skip_all "needs bsdtar (Debian: libarchive-tools)"
command -v perl >/dev/null || skip_all "needs perl"
grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null ||
	skip_all "the kernel has no seccomp user notification"
test_path_is_missing /opt/opsc >/dev/null ||
	skip_all "/opt/opsc exists on this host"

U=$OPT_USER
N=$OPT_NOSUB

# Every call of the chown family and both kinds of device, as an
# installer run as root makes them: coreutils uses fchownat and mknodat,
# perl chown, and fchown on a handle.
cat >install.sh <<'EOS'
set -e
mkdir -p /opt/opsc/dev /opt/opsc/lib
echo a >/opt/opsc/lib/a
echo b >/opt/opsc/lib/b
echo c >/opt/opsc/lib/c
chown 2:2 /opt/opsc/lib/a
chown 100000:200000 /opt/opsc/lib/b
perl -e 'open(my $f, "<", "/opt/opsc/lib/c") or die; chown(70000, 70001, $f) or die "fchown: $!"'
perl -e 'chown(3, 3, "/opt/opsc/dev") or die "chown: $!"'
ln -s lib/a /opt/opsc/link
chown -h 5:5 /opt/opsc/link
cd /opt/opsc/dev
mknod null c 1 3
mknod -m 0660 sda b 8 0
chgrp 6 sda
mknod -m 0600 big b 259 70000
echo tool >/opt/opsc/tool
chmod 4755 /opt/opsc/tool
chown 65537 /opt/opsc/tool
EOS
cp install.sh $U/ && cp install.sh $N/ && chmod 644 $U/install.sh $N/install.sh

# "mode owner group size name" of each entry, times left out, numeric.
entries() {
	bsdtar --numeric-owner -tvf "$1" | awk '{ $2 = ""; $6 = $7 = $8 = ""; print }' | sort
}

test_expect_success 'without subordinate ids: the install succeeds' '
	as $N "$OVERPACK" run -o "$TRASH/$N/p.tar" -u up -- sh install.sh \
		>out 2>err &&
	test_path_is_missing /opt/opsc
'
test_expect_success 'the package has every owner and device asked for' '
	bsdtar --numeric-owner -tvf $N/p.tar >list &&
	grep -E "^-rw-r--r-- .* 2 +2 .* \./opt/opsc/lib/a$" list &&
	grep -E "^-rw-r--r-- .* 100000 +200000 .* \./opt/opsc/lib/b$" list &&
	grep -E "^-rw-r--r-- .* 70000 +70001 .* \./opt/opsc/lib/c$" list &&
	grep -E "^drwxr-xr-x .* 3 +3 .* \./opt/opsc/dev/$" list &&
	grep -E "^lrwxrwxrwx .* 5 +5 .* \./opt/opsc/link -> lib/a$" list &&
	grep -E "^crw-r--r-- .* 0 +0 +1,3 .* \./opt/opsc/dev/null$" list &&
	grep -E "^brw-rw---- .* 0 +6 +8,0 .* \./opt/opsc/dev/sda$" list &&
	grep -E "^brw------- .* 0 +0 +259,70000 .* \./opt/opsc/dev/big$" list
'
test_expect_success 'a chown clears setuid, as the kernel does' '
	grep -E "^-rwxr-xr-x .* 65537 +0 .* \./opt/opsc/tool$" list
'
test_expect_success 'stat inside shows the devices, and ids outside the map as 0' '
	as $N "$OVERPACK" run -u up -- stat -c "%n %u:%g %a %F %t:%T" \
		/opt/opsc/dev/null /opt/opsc/dev/sda /opt/opsc/lib/b \
		>stat.out 2>err &&
	cat >stat.exp <<-EOS &&
	/opt/opsc/dev/null 0:0 644 character special file 1:3
	/opt/opsc/dev/sda 0:0 660 block special file 8:0
	/opt/opsc/lib/b 0:0 644 regular file 0:0
	EOS
	test_cmp stat.exp stat.out
'
test_expect_success 'with subordinate ids: the same install, the same package' '
	as $U "$OVERPACK" run -o "$TRASH/$U/p.tar" -u up -- sh install.sh \
		>out 2>err &&
	entries $N/p.tar >nosub.list &&
	entries $U/p.tar >sub.list &&
	test_cmp nosub.list sub.list &&
	as $U "$OVERPACK" run -u up -- stat -c "%u:%g" /opt/opsc/dev/sda \
		>sub.stat &&
	echo 0:6 >sub.exp &&
	test_cmp sub.exp sub.stat
'
test_expect_success 'as root: the same package' '
	"$OVERPACK" run -o root.tar -- sh install.sh >out 2>err &&
	entries root.tar >root.list &&
	test_cmp root.list sub.list
'
test_expect_success 'a user other than root inside may not chown or make devices' '
	test_expect_code 1 as $U "$OVERPACK" run -u up2 -- sh -c "
		echo x >/opt/x && chmod 666 /opt/x && chmod 1777 /opt &&
		setpriv --reuid=1000 --regid=1000 --clear-groups \
			chown 100000 /opt/x" 2>err &&
	grep -q "chown: .*/opt/x.*Operation not permitted" err &&
	test_expect_code 1 as $U "$OVERPACK" run -u up2 -- \
		setpriv --reuid=1000 --regid=1000 --clear-groups \
		mknod /opt/d c 1 3 2>err &&
	grep -q "mknod: .*/opt/d.*Operation not permitted" err &&
	test_expect_code 1 as $U "$OVERPACK" run -u up2 -- \
		setpriv --bounding-set=-chown chown 100000 /opt/x 2>err &&
	grep -q "Operation not permitted" err
'
test_expect_success 'outside the view nothing can be recorded: the kernel answers' '
	test_expect_code 1 as $N "$OVERPACK" run -u up3 -- \
		chown 2 /tmp 2>err &&
	grep -q "chown: .*/tmp.*Invalid argument" err &&
	test_expect_code 1 as $N "$OVERPACK" run -u up3 -- \
		mknod /tmp/null c 1 3 2>err &&
	grep -q "mknod: .*/tmp/null.*Operation not permitted" err &&
	test_path_is_missing $N/up3/tmp/null
'
test_expect_success 'errors are those of the kernel' '
	test_expect_code 1 as $N "$OVERPACK" run -u up3 -- \
		chown 2 /opt/missing 2>err &&
	grep -q "No such file or directory" err &&
	test_expect_code 1 as $N "$OVERPACK" run -u up3 -- \
		mknod /etc/hostname c 1 3 2>err &&
	grep -q "File exists" err &&
	test_expect_code 1 as $N "$OVERPACK" run -u up3 -- \
		mknod /opt/missing/null c 1 3 2>err &&
	grep -q "No such file or directory" err
'
test_expect_success 'a chown of a base file copies no data, and the host keeps its owner' '
	as $N "$OVERPACK" run -u up4 -- chown 2:2 /etc/hostname &&
	as $N "$OVERPACK" diff "$TRASH/$N/up4" >diff.out &&
	grep -qx "m ./etc/hostname (owner,group)" diff.out &&
	test "$(stat -c %u:%g /etc/hostname)" = 0:0
'
test_expect_success 'nothing of the session stays mounted' '
	no_overpack_mounts
'
test_done
