#!/bin/sh
test_description='chmod, chown, truncate, utimens: copy-up keeps content, mode, owner, times and xattrs'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

# security.capability v2: effective, permitted = CAP_NET_RAW.
CAP=0x0100000200200000000000000000000000000000
T0=1000000000.123456789
mkdir -p "$L/ldir/sub" &&
for f in cm co tr tr2 ft ut ut2 cap capo suid xa tgt; do
	printf "lower %s\n" "$f" >"$L/$f" &&
	chown 1234:5678 "$L/$f" && chmod 0640 "$L/$f" &&
	setfattr -n user.note -v "note $f" "$L/$f" &&
	setfattr -n trusted.keep -v "t $f" "$L/$f" || exit 1
done &&
echo 'lower s' >"$L/ldir/sub/s" && chmod 0751 "$L/ldir" && chown 7:8 "$L/ldir" &&
ln -s tgt "$L/sl" &&
setfattr -n security.capability -v "$CAP" "$L/cap" &&
setfattr -n security.capability -v "$CAP" "$L/capo" &&
chown 0:0 "$L/suid" && chmod 4755 "$L/suid" &&
find "$L" -exec touch -h -d "@$T0" {} + || exit 1
T0M=$(field "$L/cm" mtime)

lower_snapshot
fs_mount

# The attributes that copy-up must carry over, as seen through the mount.
same_as_lower() {
	for _f in type mode uid gid size mtime; do
		[ "$(field "$M/$1" $_f)" = "$(field "$L/$1" $_f)" ] ||
			{ echo "$1: $_f differs from lower"; return 1; }
	done
	cmp "$L/$1" "$M/$1" &&
	expect "ok note $1" getxattr "$M/$1" user.note &&
	expect "ok t $1" getxattr "$M/$1" trusted.keep
}

test_fs 'chmod of a lower file copies up and keeps everything else' '
	expect ok chmod "$M/cm" 0604 &&
	expect "ok mode=0604 uid=1234 gid=5678" lstat "$M/cm" mode uid gid &&
	expect "ok mode=0604 uid=1234 gid=5678" lstat "$U/cm" mode uid gid &&
	cmp "$L/cm" "$M/cm" &&
	expect "ok mtime=$T0M" lstat "$M/cm" mtime &&
	expect "ok note cm" getxattr "$M/cm" user.note &&
	expect "ok t cm" getxattr "$M/cm" trusted.keep
'

test_fs 'chown of a lower file copies up and keeps content, mode, times, xattrs' '
	expect ok chown "$M/co" 99 98 &&
	expect "ok mode=0640 uid=99 gid=98" lstat "$M/co" mode uid gid &&
	expect "ok uid=99 gid=98" lstat "$U/co" uid gid &&
	cmp "$L/co" "$M/co" &&
	expect "ok mtime=$T0M" lstat "$M/co" mtime &&
	expect "ok note co" getxattr "$M/co" user.note
'

test_fs 'chown with -1 -1 changes no owner' '
	expect ok chown "$M/co" -1 -1 &&
	expect "ok uid=99 gid=98" lstat "$M/co" uid gid
'

test_fs 'truncate of a lower file shorter keeps the prefix' '
	expect ok truncate "$M/tr" 3 &&
	expect "ok low" read "$M/tr" &&
	expect "ok mode=0640 uid=1234 gid=5678 size=3" lstat "$M/tr" mode uid gid size &&
	expect "ok note tr" getxattr "$M/tr" user.note
'

test_fs 'truncate of a lower file longer pads with zeros' '
	expect ok truncate "$M/tr2" 100 &&
	expect "ok size=100" lstat "$M/tr2" size &&
	{ cat "$L/tr2" && head -c $((100 - $(field "$L/tr2" size))) /dev/zero; } >expect &&
	cmp expect "$M/tr2"
'

test_fs 'ftruncate through a file handle on a lower file' '
	expect ok ftruncate "$M/ft" 5 &&
	expect "ok lower" read "$M/ft" &&
	expect "ok mode=0640 uid=1234 gid=5678" lstat "$M/ft" mode uid gid
'

test_fs 'utimens of a lower file sets the times asked for, keeps the rest' '
	expect ok utimens "$M/ut" omit 1500000000.5 &&
	expect "ok mtime=1500000000.500000000" lstat "$M/ut" mtime &&
	expect "ok atime=$(field "$L/ut" atime)" lstat "$M/ut" atime &&
	expect "ok mode=0640 uid=1234 gid=5678" lstat "$M/ut" mode uid gid &&
	cmp "$L/ut" "$M/ut" &&
	expect "ok mtime=1500000000.500000000" lstat "$U/ut" mtime
'

test_fs 'utimens now of a lower file' '
	expect ok utimens "$M/ut2" now now &&
	now=$(date +%s) && m=$(field "$M/ut2" mtime) &&
	test $((now - ${m%.*})) -le 5 &&
	cmp "$L/ut2" "$M/ut2"
'

test_fs 'copy-up by chmod keeps security.capability' '
	expect ok chmod "$M/cap" 0750 &&
	test "$(xattr_hex "$M/cap" security.capability)" = "$CAP" &&
	test "$(xattr_hex "$U/cap" security.capability)" = "$CAP"
'

test_fs 'copy-up by open for writing keeps security.capability' '
	copy_up capo &&
	test "$(xattr_hex "$M/capo" security.capability)" = "$CAP" &&
	test "$(xattr_hex "$U/capo" security.capability)" = "$CAP"
'

test_fs 'copy-up by utimens keeps the setuid bit' '
	expect ok utimens "$M/suid" 1 2 &&
	expect "ok mode=4755 uid=0 gid=0" lstat "$M/suid" mode uid gid &&
	expect "ok mode=4755" lstat "$U/suid" mode
'

test_fs 'copy-up keeps the xattrs of the file' '
	copy_up xa &&
	same_as_lower xa &&
	expect "ok note xa" getxattr "$U/xa" user.note &&
	expect "ok t xa" getxattr "$U/xa" trusted.keep
'

test_fs 'chmod of a lower directory copies it up, not opaque, children visible' '
	expect ok chmod "$M/ldir" 0700 &&
	expect "ok type=dir mode=0700 uid=7 gid=8" lstat "$M/ldir" type mode uid gid &&
	expect "ok type=dir mode=0700 uid=7 gid=8" lstat "$U/ldir" type mode uid gid &&
	upper_not_opaque ldir &&
	expect "ok lower s" read "$M/ldir/sub/s"
'

test_fs 'chown of a lower directory' '
	expect ok chown "$M/ldir/sub" 5 6 &&
	expect "ok uid=5 gid=6" lstat "$M/ldir/sub" uid gid &&
	expect "ok lower s" read "$M/ldir/sub/s"
'

test_fs 'chmod through a lower symlink changes the target only' '
	expect ok chmod "$M/sl" 0600 &&
	expect "ok mode=0600" lstat "$M/tgt" mode &&
	expect "ok type=lnk" lstat "$M/sl" type &&
	test_path_is_missing "$U/sl"
'

test_fs 'lchown of a lower symlink copies up the link itself' '
	expect ok lchown "$M/sl" 11 12 &&
	expect "ok type=lnk uid=11 gid=12" lstat "$M/sl" type uid gid &&
	expect "ok tgt" readlink "$M/sl" &&
	expect "ok uid=1234" lstat "$M/tgt" uid &&
	test "$(readlink "$U/sl")" = tgt
'

test_fs 'chmod, chown, truncate, utimens of an upper-only file' '
	echo hello >"$M/up" &&
	expect ok chmod "$M/up" 0600 && expect ok chown "$M/up" 3 4 &&
	expect ok truncate "$M/up" 2 && expect ok utimens "$M/up" 5 6 &&
	expect "ok mode=0600 uid=3 gid=4 size=2 mtime=6.000000000" lstat "$M/up" mode uid gid size mtime
'

test_fs 'chmod, chown, truncate, utimens of a copied-up file' '
	expect ok chmod "$M/cm" 0666 && expect ok chown "$M/cm" 3 4 &&
	expect ok truncate "$M/cm" 2 && expect ok utimens "$M/cm" 5 6 &&
	expect "ok mode=0666 uid=3 gid=4 size=2 mtime=6.000000000" lstat "$M/cm" mode uid gid size mtime
'

test_fs 'attribute calls on missing names are ENOENT, truncate of a directory EISDIR' '
	expect ENOENT chmod "$M/nosuch" 0644 &&
	expect ENOENT chown "$M/nosuch" 1 1 &&
	expect ENOENT truncate "$M/nosuch" 0 &&
	expect ENOENT utimens "$M/nosuch" now now &&
	expect EISDIR truncate "$M/ldir" 0
'

test_fs 'changed attributes survive a remount' '
	fs_remount &&
	expect "ok mode=0640 uid=99 gid=98" lstat "$M/co" mode uid gid &&
	expect "ok mtime=1500000000.500000000" lstat "$M/ut" mtime &&
	expect "ok low" read "$M/tr" &&
	expect "ok mode=4755" lstat "$M/suid" mode
'

fs_done
