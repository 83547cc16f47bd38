#!/bin/sh
test_description='setxattr, getxattr, listxattr, removexattr; trusted.overlay.* never shows through'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

mkdir -p "$L/ldir/sub" "$L/opq/lo" "$L/mv/m" "$L/esc/e" &&
for f in get set rm cr cu; do
	echo "lower $f" >"$L/$f" &&
	setfattr -n user.note -v "note $f" "$L/$f" &&
	setfattr -n trusted.keep -v "t $f" "$L/$f" || exit 1
done &&
setfattr -n user.d -v dir "$L/ldir" &&
ln -s get "$L/sl" &&
mkdir -p "$U/opq" && setfattr -n trusted.overlay.opaque -v y "$U/opq" &&
setfattr -n user.o -v o "$U/opq" || exit 1

lower_snapshot
fs_mount

test_fs 'getxattr and listxattr of a lower file, without copy-up' '
	expect "ok note get" getxattr "$M/get" user.note &&
	expect "ok t get" getxattr "$M/get" trusted.keep &&
	expect "ok trusted.keep user.note" listxattr "$M/get" &&
	expect ENODATA getxattr "$M/get" user.nosuch &&
	test_path_is_missing "$U/get"
'

test_fs 'setxattr of a lower file copies it up with its old xattrs' '
	expect ok setxattr "$M/set" user.new value &&
	expect "ok value" getxattr "$M/set" user.new &&
	expect "ok note set" getxattr "$M/set" user.note &&
	expect "ok value" getxattr "$U/set" user.new &&
	expect "ok lower set" read "$M/set"
'

test_fs 'the listing of a copied-up file shows user xattrs, no trusted.overlay.*' '
	expect "ok trusted.keep user.new user.note" listxattr "$M/set"
'

test_fs 'removexattr of a lower file copies it up and removes only above' '
	expect ok removexattr "$M/rm" user.note &&
	expect ENODATA getxattr "$M/rm" user.note &&
	expect "ok trusted.keep" listxattr "$M/rm" &&
	expect ENODATA removexattr "$M/rm" user.note
'

test_fs 'XATTR_CREATE on an existing name is EEXIST, XATTR_REPLACE on a missing one ENODATA' '
	expect EEXIST setxattr "$M/cr" user.note x CREATE &&
	expect ENODATA setxattr "$M/cr" user.none x REPLACE &&
	expect ok setxattr "$M/cr" user.note replaced REPLACE &&
	expect "ok replaced" getxattr "$M/cr" user.note &&
	expect ok setxattr "$M/cr" user.fresh f CREATE &&
	expect "ok f" getxattr "$M/cr" user.fresh
'

test_fs 'xattrs of a copied-up file can be changed and removed' '
	copy_up cu &&
	expect ok setxattr "$M/cu" user.note changed &&
	expect "ok changed" getxattr "$M/cu" user.note &&
	expect ok removexattr "$M/cu" trusted.keep &&
	expect "ok user.note" listxattr "$M/cu"
'

test_fs 'xattrs of an upper-only file' '
	echo x >"$M/up" &&
	expect ok setxattr "$M/up" user.a 1 &&
	expect ok setxattr "$M/up" trusted.b 2 &&
	expect "ok trusted.b user.a" listxattr "$M/up" &&
	expect ok removexattr "$M/up" user.a &&
	expect "ok trusted.b" listxattr "$M/up"
'

test_fs 'a long xattr value round-trips' '
	v=$(printf "%01000d" 7) &&
	expect ok setxattr "$M/up" user.long "$v" &&
	expect "ok $v" getxattr "$M/up" user.long
'

test_fs 'setxattr of a lower directory copies it up, not opaque' '
	expect "ok dir" getxattr "$M/ldir" user.d &&
	expect ok setxattr "$M/ldir" user.e 2 &&
	expect "ok user.d user.e" listxattr "$M/ldir" &&
	upper_not_opaque ldir &&
	printf "%s\n" sub >expect && ls_m ldir >actual && test_cmp expect actual
'

test_fs 'an opaque directory does not show its trusted.overlay.opaque' '
	expect "ok user.o" listxattr "$M/opq" &&
	expect_private getxattr "$M/opq" trusted.overlay.opaque
'

test_fs 'a renamed lower directory does not show its redirect' '
	expect ok rename "$M/mv" "$M/ldir/mv2" &&
	test -n "$(upper_xattr ldir/mv2 trusted.overlay.redirect)" &&
	expect "ok" listxattr "$M/ldir/mv2" &&
	expect_private getxattr "$M/ldir/mv2" trusted.overlay.redirect
'

test_fs 'no entry of the mount lists a trusted.overlay.* xattr' '
	find "$M" -exec getfattr -h -d -m - {} + >all 2>&1 &&
	! grep -i "overlay" all
'

# The kernel stores a user's trusted.overlay.* escaped (as
# trusted.overlay.overlay.*); refusing it is as good.  Either way the
# layer's meaning must not change, now or after a remount.
test_fs 'setting trusted.overlay.* through the mount changes no layer semantics' '
	{ op setxattr "$M/esc" trusted.overlay.opaque y >/dev/null || :; } &&
	upper_not_opaque esc &&
	printf "%s\n" e >expect && ls_m esc >actual && test_cmp expect actual &&
	{ op setxattr "$M/esc/e" trusted.overlay.redirect /x >/dev/null || :; } &&
	test -z "$(upper_xattr esc/e trusted.overlay.redirect)" &&
	{ op removexattr "$M/opq" trusted.overlay.opaque >/dev/null || :; } &&
	upper_is_opaque opq &&
	expect ENOENT lstat "$M/opq/lo"
'

test_fs 'xattr calls on missing names are ENOENT' '
	expect ENOENT getxattr "$M/nosuch" user.a &&
	expect ENOENT setxattr "$M/nosuch" user.a 1 &&
	expect ENOENT listxattr "$M/nosuch" &&
	expect ENOENT removexattr "$M/nosuch" user.a
'

test_fs 'user xattrs on a symlink are refused with EPERM, as on any filesystem' '
	expect EPERM lsetxattr "$M/sl" user.a 1 &&
	expect ok lsetxattr "$M/sl" trusted.a 1 &&
	expect "ok 1" lgetxattr "$M/sl" trusted.a &&
	expect "ok note get" getxattr "$M/sl" user.note
'

test_fs 'xattrs survive a remount' '
	fs_remount &&
	expect "ok value" getxattr "$M/set" user.new &&
	expect "ok trusted.keep" listxattr "$M/rm" &&
	expect "ok user.d user.e" listxattr "$M/ldir" &&
	printf "%s\n" e >expect && ls_m esc >actual && test_cmp expect actual &&
	expect ENOENT lstat "$M/opq/lo"
'

fs_done
