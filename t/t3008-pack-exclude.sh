#!/bin/sh
test_description='overpack pack: default exclusions, --exclude, --include'
. "$top_srcdir/t/test-lib.sh"

command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"

test_expect_success 'build an upper layer with noise' '
	mkdir -p base up/etc up/var/log/apt up/var/cache/apt up/tmp up/root \
	    up/usr/lib/python3/__pycache__ up/home/u up/var/lib/apt/lists \
	    up/usr/share/doc/pkg up/run &&
	echo c >up/etc/ld.so.cache && echo k >up/etc/keep &&
	echo l >up/var/log/apt/history.log && echo c >up/var/cache/apt/pkg &&
	echo t >up/tmp/scratch && echo h >up/root/.bash_history &&
	echo h >up/home/u/.python_history && echo v >up/home/u/.viminfo &&
	echo p >up/usr/lib/python3/__pycache__/m.pyc &&
	echo m >up/usr/lib/python3/m.py &&
	echo l >up/var/lib/apt/lists/x_Packages &&
	echo d >up/usr/share/doc/pkg/README && echo r >up/run/pid &&
	mknod up/var/log/old c 0 0 2>/dev/null || true
'

test_expect_success 'defaults leave out caches, logs, histories' '
	"$OVERPACK" pack -o out.tar --root base up 2>err &&
	bsdtar -tf out.tar >names &&
	cat >expect <<-\EOT &&
	./etc/
	./etc/keep
	./usr/
	./usr/lib/
	./usr/lib/python3/
	./usr/lib/python3/m.py
	./usr/share/
	./usr/share/doc/
	./usr/share/doc/pkg/
	./usr/share/doc/pkg/README
	EOT
	test_cmp expect names
'

test_expect_success 'excluded whiteouts are not listed as deletions' '
	test_path_is_missing out.tar.deleted
'

test_expect_success '--exclude drops a subtree, --include brings back' '
	"$OVERPACK" pack -o ex.tar --exclude "usr/share/doc/*" \
	    --include "var/log/apt" --include "var/log/apt/*" \
	    --root base up &&
	bsdtar -tf ex.tar >names &&
	! grep -q "^./usr/share/" names &&
	grep -qx "./var/log/apt/history.log" names
'

test_expect_success 'directories: added empty kept, mere containers dropped' '
	mkdir -p base2/opt/kept base2/srv/chmod base2/var/quiet up2/opt/kept \
	    up2/opt/new-empty up2/srv/chmod up2/var/quiet/log &&
	chmod 700 up2/srv/chmod && echo x >up2/var/quiet/log/x.log &&
	"$OVERPACK" pack -o dirs.tar --root base2 --exclude "var/quiet/log" \
	    up2 &&
	bsdtar -tf dirs.tar >names &&
	cat >expect <<-\EOT &&
	./opt/
	./opt/new-empty/
	./srv/
	./srv/chmod/
	EOT
	test_cmp expect names
'

test_expect_success 'later options win' '
	"$OVERPACK" pack -o later.tar --include "etc/ld.so.cache" \
	    --exclude "etc/*" --root base up &&
	bsdtar -tf later.tar >names &&
	! grep -q "^./etc/." names
'

test_expect_success '--no-default-excludes packs everything' '
	"$OVERPACK" pack -o all.tar --no-default-excludes --root base up &&
	bsdtar -tf all.tar >names &&
	grep -qx "./etc/ld.so.cache" names &&
	grep -qx "./root/.bash_history" names &&
	grep -qx "./usr/lib/python3/__pycache__/m.pyc" names
'

test_expect_success '--list-excludes prints the default table' '
	"$OVERPACK" pack --list-excludes >list &&
	grep -qx "var/log/\*" list && grep -qx "\*\*/__pycache__" list
'

test_expect_success 'a pattern that matches nothing changes nothing (must differ from an exclusion)' '
	"$OVERPACK" pack -o none.tar --exclude "no/such/*" --root base up &&
	cmp out.tar none.tar &&
	! cmp -s out.tar ex.tar
'

test_done
