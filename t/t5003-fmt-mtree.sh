#!/bin/sh
test_description='overpack pack -f mtree: an audit manifest of every entry'
. "$top_srcdir/t/test-lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (chown, mknod)"
command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"

test_expect_success 'build an upper layer' '
	mkdir -p base/etc up/usr/bin up/etc &&
	echo gone >base/etc/gone && mknod up/etc/gone c 0 0 &&
	printf "#!/bin/sh\n" >up/usr/bin/tool && chmod 4755 up/usr/bin/tool &&
	ln up/usr/bin/tool up/usr/bin/tool2 &&
	ln -s tool up/usr/bin/t &&
	echo cfg >up/etc/cfg && chown 1:2 up/etc/cfg && chmod 640 up/etc/cfg &&
	truncate -s 1M up/etc/sparse
'

test_expect_success 'pack the manifest' '
	"$OVERPACK" pack -f mtree -o m.mtree --root base up 2>err &&
	head -1 m.mtree | grep -x "#mtree"
'

test_expect_success 'one line per entry: type, mode, uid, gid, size, sha256, link' '
	sed 1d m.mtree >lines &&
	cat >expect <<-EOT &&
	./etc mode=755 gid=0 uid=0 type=dir
	./etc/cfg mode=640 gid=2 uid=1 type=file size=4 sha256digest=$(sha256sum <up/etc/cfg | cut -d" " -f1)
	./etc/sparse mode=644 gid=0 uid=0 type=file size=1048576 sha256digest=$(sha256sum <up/etc/sparse | cut -d" " -f1)
	./usr mode=755 gid=0 uid=0 type=dir
	./usr/bin mode=755 gid=0 uid=0 type=dir
	./usr/bin/t mode=777 gid=0 uid=0 type=link link=tool
	./usr/bin/tool mode=4755 gid=0 uid=0 type=file size=10 sha256digest=$(sha256sum <up/usr/bin/tool | cut -d" " -f1)
	./usr/bin/tool2 mode=4755 gid=0 uid=0 type=file size=10 sha256digest=$(sha256sum <up/usr/bin/tool | cut -d" " -f1)
	EOT
	test_cmp expect lines
'

test_expect_success 'bsdtar reads it as an mtree archive' '
	bsdtar -tf m.mtree >names &&
	grep -x "./usr/bin/tool2" names
'

test_expect_success 'deletions go to the manifest, as for tar' '
	echo ./etc/gone >expect &&
	test_cmp expect m.mtree.deleted
'

test_expect_success 'same layer gives the same bytes, whenever' '
	sleep 1 && touch up/etc/cfg &&
	"$OVERPACK" pack -f mtree -o m2.mtree --root base up 2>/dev/null &&
	cmp m.mtree m2.mtree
'

test_expect_success 'a content change shows' '
	echo other >up/etc/cfg &&
	"$OVERPACK" pack -f mtree -o m3.mtree --root base up 2>/dev/null &&
	! cmp -s m.mtree m3.mtree
'

test_expect_failure_status 'a missing upper layer is fatal and leaves no file' 125 '
	"$OVERPACK" pack -f mtree -o none.mtree --root base nowhere
'

test_expect_success 'no file left' '
	test_path_is_missing none.mtree
'

test_done
