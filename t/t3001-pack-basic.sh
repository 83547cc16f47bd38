#!/bin/sh
test_description='overpack pack: modes, owners, times, links, names, usage'
. "$top_srcdir/t/test-lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (chown, mknod)"
command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"

test_expect_success 'build an upper layer' '
	mkdir -p up/usr/bin up/srv/tmp up/etc base/etc &&
	printf "root:x:0:0::/root:/bin/sh\ndaemon:x:1:1::/:/bin/sh\n" \
	    >base/etc/passwd &&
	printf "root:x:0:\ndaemon:x:1:\n" >base/etc/group &&
	echo tool >up/usr/bin/tool && chmod 4755 up/usr/bin/tool &&
	echo sg >up/usr/bin/sg && chmod 2711 up/usr/bin/sg &&
	chmod 1777 up/srv/tmp &&
	echo conf >up/etc/conf && chmod 0640 up/etc/conf &&
	chown 1234:5678 up/etc/conf &&
	echo d >up/etc/daemon.conf && chown 1:1 up/etc/daemon.conf &&
	ln -s ../etc/conf up/usr/bin/link &&
	ln up/usr/bin/tool up/usr/bin/tool-hard &&
	touch -d "2001-02-03 04:05:06.123456789" up/etc/conf
'

test_expect_success 'pack writes a tar.gz by default' '
	"$OVERPACK" pack -o out.pkg --root base up &&
	test_path_is_file out.pkg &&
	od -An -tx1 -N2 out.pkg | grep -q "1f 8b" &&
	test_path_is_missing out.pkg.deleted
'

test_expect_success 'names are ./-relative, sorted, no root entry' '
	bsdtar -tf out.pkg >names &&
	cat >expect <<-\EOT &&
	./etc/
	./etc/conf
	./etc/daemon.conf
	./srv/
	./srv/tmp/
	./usr/
	./usr/bin/
	./usr/bin/link
	./usr/bin/sg
	./usr/bin/tool
	./usr/bin/tool-hard
	EOT
	test_cmp expect names
'

test_expect_success 'hard links stay hard links in the tar' '
	bsdtar -tvf out.pkg | grep "^h.* ./usr/bin/tool-hard link to ./usr/bin/tool$"
'

test_expect_success 'extraction gives back modes, owners, times, links' '
	mkdir x && bsdtar -xpf out.pkg -C x &&
	test "$(stat -c %a x/usr/bin/tool)" = 4755 &&
	test "$(stat -c %a x/usr/bin/sg)" = 2711 &&
	test "$(stat -c %a x/srv/tmp)" = 1777 &&
	test "$(stat -c %a:%u:%g x/etc/conf)" = 640:1234:5678 &&
	test "$(stat -c %U:%G x/etc/daemon.conf)" = daemon:daemon &&
	test "$(stat -c %y x/etc/conf)" = "$(stat -c %y up/etc/conf)" &&
	test "$(readlink x/usr/bin/link)" = ../etc/conf &&
	test "$(stat -c %i x/usr/bin/tool)" = "$(stat -c %i x/usr/bin/tool-hard)" &&
	test "$(cat x/usr/bin/tool)" = tool
'

test_expect_success 'owners are stored by number and by name' '
	bsdtar -tvf out.pkg >long &&
	grep " 1234 *5678 .* ./etc/conf$" long &&
	grep " daemon *daemon .* ./etc/daemon.conf$" long
'

test_expect_success 'a wrong owner would be noticed (must fail)' '
	chown 4321 up/etc/conf &&
	"$OVERPACK" pack -o out2.tar.gz --root base up &&
	! bsdtar -tvf out2.tar.gz | grep " 1234 *5678 .* ./etc/conf$"
'

test_expect_success 'names come from the packaged tree, never the packing host' '
	mkdir -p up2/etc up2/opt base2/etc &&
	printf "root:x:0:0::/root:/bin/sh\n" >base2/etc/passwd &&
	printf "root:x:0:\n" >base2/etc/group &&
	{ cat base2/etc/passwd && echo "myapp:x:100:100::/:/bin/false"; } \
	    >up2/etc/passwd &&
	{ cat base2/etc/group && echo "myapp:x:100:"; } >up2/etc/group &&
	echo x >up2/opt/app && chown 100:100 up2/opt/app &&
	echo y >up2/opt/nobody && chown 4242:4242 up2/opt/nobody &&
	"$OVERPACK" pack -o names.tar --root base2 up2 &&
	bsdtar -tvf names.tar >long &&
	grep " myapp *myapp .* ./opt/app$" long &&
	grep " 4242 *4242 .* ./opt/nobody$" long
'

test_expect_success 'gzip is at level 6 unless told; --level and --threads are checked' '
	"$OVERPACK" pack -o l6.tar.gz --root base up &&
	"$OVERPACK" pack -o l1.tar.gz --level 1 --root base up &&
	"$OVERPACK" pack -o l6b.tar.gz --level 6 --root base up &&
	cmp l6.tar.gz l6b.tar.gz && ! cmp -s l1.tar.gz l6.tar.gz &&
	test_expect_code 2 "$OVERPACK" pack -o x.tar.gz --level 0x --root base up &&
	test_expect_code 125 "$OVERPACK" pack -o x.tar.gz --level 12 --root base up &&
	test_expect_code 125 "$OVERPACK" pack -o x.tar.gz --threads 2 --root base up &&
	test_path_is_missing x.tar.gz &&
	"$OVERPACK" pack -o t2.tar.xz --threads 2 --level 1 --root base up &&
	xz -t t2.tar.xz &&
	"$OVERPACK" pack -o t2.tar.zst --threads 2 --level 3 --root base up &&
	zstd -tq t2.tar.zst
'

test_expect_success 'a tar.zst package is the same whatever the number of threads' '
	head -c 3000000 /dev/urandom >up/big &&
	"$OVERPACK" pack -o z.tar.zst --root base up &&
	"$OVERPACK" pack -o z1.tar.zst --threads 1 --root base up &&
	"$OVERPACK" pack -o z3.tar.zst --threads 3 --root base up &&
	cmp z.tar.zst z1.tar.zst && cmp z.tar.zst z3.tar.zst &&
	zstd -tq z.tar.zst && bsdtar -tf z.tar.zst | grep -qx ./big &&
	rm up/big
'

test_expect_failure_status 'no -o is a usage error' 2 '
	"$OVERPACK" pack up
'

test_expect_failure_status 'unknown option is a usage error' 2 '
	"$OVERPACK" pack --bogus -o x.tar up
'

test_expect_failure_status 'two upper layers is a usage error' 2 '
	"$OVERPACK" pack -o x.tar up up
'

test_expect_success 'usage line matches the command table' '
	"$OVERPACK" pack 2>err; grep -q "usage: overpack pack -o FILE \[-f FORMAT\] \[--root DIR\]" err
'

test_expect_success 'a missing upper layer is named, no package left' '
	test_must_fail "$OVERPACK" pack -o y.tar --root base nosuch 2>err &&
	grep "nosuch" err && test_path_is_missing y.tar &&
	! ls -a | grep -q "^\.y\.tar"
'

test_expect_failure_status 'missing upper layer exits 125' 125 '
	"$OVERPACK" pack -o y.tar --root base nosuch
'

test_done
