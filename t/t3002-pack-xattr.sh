#!/bin/sh
test_description='overpack pack: xattrs and file capabilities'
. "$top_srcdir/t/test-lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (trusted.* and security.* xattrs)"
command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"
command -v getfattr >/dev/null || skip_all "needs getfattr (attr)"

test_expect_success 'build an upper layer with xattrs' '
	mkdir -p up/bin up/d base &&
	echo ping >up/bin/ping &&
	echo f >up/file &&
	setfattr -n user.color -v blue up/file &&
	setfattr -n trusted.note -v kept up/file &&
	setfattr -n user.dirattr -v yes up/d &&
	setfattr -n trusted.overlay.opaque -v y up/d &&
	setfattr -n user.overlay.origin -v private up/file &&
	if command -v setcap >/dev/null; then
		setcap cap_net_raw+ep up/bin/ping
	else
		# A VFS_CAP_REVISION_2 blob granting cap_net_raw (bit 13).
		setfattr -n security.capability \
		    -v 0x0000000200200000000000000000000000000000 up/bin/ping
	fi &&
	getfattr -n security.capability up/bin/ping
'

test_expect_success 'pack stores the xattrs as pax records' '
	"$OVERPACK" pack -o out.tar --root base up &&
	grep -a "SCHILY.xattr.user.color=blue" out.tar &&
	grep -a "SCHILY.xattr.security.capability=" out.tar &&
	grep -a "SCHILY.xattr.trusted.note=kept" out.tar
'

test_expect_success 'the layer format xattrs are not packed' '
	! grep -a "trusted.overlay" out.tar &&
	! grep -a "user.overlay" out.tar
'

test_expect_success 'extraction gives the xattrs and capability back' '
	mkdir x && bsdtar --xattrs -xpf out.tar -C x &&
	test "$(getfattr --only-values -n user.color x/file)" = blue &&
	test "$(getfattr --only-values -n trusted.note x/file)" = kept &&
	test "$(getfattr --only-values -n user.dirattr x/d)" = yes &&
	getfattr -e hex -n security.capability up/bin/ping | grep = >want &&
	getfattr -e hex -n security.capability x/bin/ping | grep = >got &&
	test_cmp want got &&
	! getfattr -n trusted.overlay.opaque x/d 2>/dev/null | grep -q opaque
'

test_expect_success 'getcap sees the capability after extraction' '
	if command -v getcap >/dev/null; then
		getcap x/bin/ping | grep -i "cap_net_raw[+=]ep"
	fi
'

test_expect_success 'a changed xattr changes the package (must fail to match)' '
	setfattr -n user.color -v red up/file &&
	"$OVERPACK" pack -o out2.tar --root base up &&
	! grep -a "SCHILY.xattr.user.color=blue" out2.tar
'

test_done
