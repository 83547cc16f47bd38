#!/bin/sh
test_description='pack and diff take a metacopy'"'"'s bytes from the base'
. "$top_srcdir/t/test-lib.sh"
require_root
command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"

# A metacopy as overpackfs and kernel overlayfs write it: a sparse upper
# file of the right size, with new metadata and the mark.
test_expect_success 'a base file and a metacopy of it' '
	mkdir -p base/etc base/opt up/etc up/opt &&
	printf "real contents\n" >base/etc/conf &&
	head -c 300000 /dev/urandom >base/opt/blob &&
	truncate -s 14 up/etc/conf && chmod 600 up/etc/conf &&
	setfattr -n trusted.overlay.metacopy up/etc/conf &&
	touch -r base/etc/conf up/etc/conf &&
	truncate -s 300000 up/opt/blob && chown 12:34 up/opt/blob &&
	touch -r base/opt/blob up/opt/blob &&
	setfattr -n trusted.overlay.metacopy up/opt/blob
'

test_expect_success 'the package holds the base bytes with the new metadata' '
	"$OVERPACK" pack -o out.tar --root base up &&
	mkdir x && bsdtar -xpf out.tar -C x &&
	test_cmp base/etc/conf x/etc/conf &&
	cmp base/opt/blob x/opt/blob &&
	test "$(stat -c %a x/etc/conf)" = 600 &&
	test "$(stat -c %u:%g x/opt/blob)" = 12:34
'

test_expect_success 'the mark itself is not packed' '
	! bsdtar -tvf out.tar --xattrs 2>/dev/null | grep -q metacopy &&
	! getfattr -d -m - x/etc/conf 2>/dev/null | grep -q overlay
'

test_expect_success 'diff: a metacopy is a metadata change, not a content one' '
	"$OVERPACK" diff --root base up >out &&
	cat >expect <<-\EOT &&
	m ./etc/conf (mode)
	m ./opt/blob (owner,group)
	EOT
	test_cmp expect out
'

test_expect_success 'a metacopy whose base file is gone: warned, skipped, exit 1' '
	mkdir -p up2/etc base2/etc &&
	truncate -s 5 up2/etc/lost &&
	setfattr -n trusted.overlay.metacopy up2/etc/lost &&
	{ "$OVERPACK" pack -o lost.tar --root base2 up2 2>err; st=$?; } &&
	test "$st" = 1 && grep -q "lost" err &&
	! bsdtar -tf lost.tar | grep -q lost
'

test_expect_success 'without the mark the same upper file packs its own zeros' '
	setfattr -x trusted.overlay.metacopy up/etc/conf &&
	"$OVERPACK" pack -o plain.tar --root base up &&
	mkdir y && bsdtar -xpf plain.tar -C y &&
	! cmp -s base/etc/conf y/etc/conf
'

test_done
