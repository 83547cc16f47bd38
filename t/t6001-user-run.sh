#!/bin/sh
test_description='overpack run without root: owners, modes, fifos and capabilities an installer asks for are kept and packed'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/user-lib.sh"
user_require
command -v setcap >/dev/null || skip_all "needs setcap (Debian: libcap2-bin)"
command -v bsdtar >/dev/null || skip_all "needs bsdtar (Debian: libarchive-tools)"
test_path_is_missing /opt/optest >/dev/null ||
	skip_all "/opt/optest exists on this host"

U=$OPT_USER
# What an installer run as root does: chown to root and to a system user
# (bin, uid 2), setuid, a fifo, a file capability, a symlink.
cat >install.sh <<'EOS'
set -e
mkdir -p /opt/optest/bin /opt/optest/share
echo tool >/opt/optest/bin/tool
chown 0:0 /opt/optest/bin/tool
chmod 4755 /opt/optest/bin/tool
echo data >/opt/optest/share/data
chown bin:bin /opt/optest/share/data
chmod 0640 /opt/optest/share/data
mkfifo -m 0620 /opt/optest/share/fifo
chgrp daemon /opt/optest/share/fifo
echo ping >/opt/optest/bin/ping2
chmod 0755 /opt/optest/bin/ping2
setcap cap_net_raw+ep /opt/optest/bin/ping2
ln -s tool /opt/optest/bin/link
EOS
# And a file written unnamed (O_TMPFILE) and then published with linkat,
# by a copy of op-syscall in the working directory: the build tree need
# not be visible inside (under /tmp it is not).
cat >>install.sh <<'EOS'
./op-syscall tmpfile /opt/optest/share 0644 unnamed /opt/optest/share/published >/dev/null
EOS
cp "$OPSYSCALL" op-syscall
cp install.sh op-syscall "$TRASH/$U/" && chmod 644 "$TRASH/$U/install.sh"

# "mode owner group size name" of each entry, times left out.
entries() { bsdtar -tvf "$1" | awk '{ $2 = ""; $6 = $7 = $8 = ""; print }' | sort; }

test_expect_success 'the install runs as root inside, as an ordinary user outside' '
	as $U "$OVERPACK" run -u up -- sh -c "id -u; sh install.sh" >out 2>err &&
	test "$(cat out)" = 0 &&
	test_path_is_missing /opt/optest
'
test_expect_success 'stat inside shows what the installer asked for' '
	as $U "$OVERPACK" run -u up -- stat -c "%n %U:%G %a %F" \
		/opt/optest/bin/tool /opt/optest/share/data \
		/opt/optest/share/fifo >stat.out 2>err &&
	cat >stat.exp <<-EOS &&
	/opt/optest/bin/tool root:root 4755 regular file
	/opt/optest/share/data bin:bin 640 regular file
	/opt/optest/share/fifo root:daemon 620 fifo
	EOS
	test_cmp stat.exp stat.out &&
	as $U "$OVERPACK" run -u up -- getcap /opt/optest/bin/ping2 >cap.out &&
	grep -q "cap_net_raw=ep" cap.out
'
test_expect_success 'the package carries those owners, modes and the fifo' '
	as $U "$OVERPACK" pack -o "$TRASH/$U/user.tar" "$TRASH/$U/up" &&
	bsdtar -tvf $U/user.tar >list &&
	grep -E "^-rwsr-xr-x .* root +root .* \./opt/optest/bin/tool$" list &&
	grep -E "^-rw-r----- .* bin +bin .* \./opt/optest/share/data$" list &&
	grep -E "^prw--w---- .* root +daemon .* \./opt/optest/share/fifo$" list &&
	grep -E "^lrwxrwxrwx .* \./opt/optest/bin/link -> tool$" list &&
	grep -E "^-rw-r--r-- .* root +root +7 .* \./opt/optest/share/published$" list
'
test_expect_success 'the capability is a v2 one, valid on any host' '
	mkdir x &&
	bsdtar -xpf $U/user.tar --xattrs -C x &&
	getcap x/opt/optest/bin/ping2 | grep -q "cap_net_raw=ep" &&
	getfattr --absolute-names -n security.capability -e hex \
		x/opt/optest/bin/ping2 >capx &&
	# magic 0x02000001 (VFS_CAP_REVISION_2, effective), little-endian,
	# and 20 bytes in all: a v3 one is 24 and names a root id.
	grep -qE "^security.capability=0x01000002[0-9a-f]{32}$" capx
'
test_expect_success 'the same install as root gives the same package' '
	"$OVERPACK" run -o root.tar -- sh install.sh >rootrun.out 2>&1 &&
	entries root.tar >root.list &&
	entries $U/user.tar >user.list &&
	test_cmp root.list user.list
'
test_expect_success 'the diff names each change' '
	as $U "$OVERPACK" diff "$TRASH/$U/up" >diff.out &&
	grep -qx "A ./opt/optest/share/fifo" diff.out &&
	grep -qx "A ./opt/optest/bin/ping2" diff.out
'
test_expect_success 'a chown of a base file is kept as metadata only' '
	as $U "$OVERPACK" run -u up2 -- chown bin /etc/hostname &&
	as $U "$OVERPACK" diff "$TRASH/$U/up2" >diff2.out &&
	grep -qx "m ./etc/hostname (owner)" diff2.out &&
	test "$(stat -c %U /etc/hostname)" = root
'
test_expect_success 'the user can remove what the session left' '
	as $U rm -rf "$TRASH/$U/up" "$TRASH/$U/.up.work" \
		"$TRASH/$U/up2" "$TRASH/$U/.up2.work" &&
	test_path_is_missing $U/up
'
test_expect_success 'nothing of the session stays mounted' '
	no_overpack_mounts
'
test_done
