#!/bin/sh
test_description='overpack pack -f deb: dpkg-deb reads it, dpkg -i installs it (inside overpack run)'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/run-lib.sh"
run_require
command -v dpkg-deb >/dev/null || skip_all "needs dpkg-deb"

# A name no host has installed, so that dpkg -i starts from nothing.
PKG=ophello-t5001
META='--name '$PKG' --version 1.2-1 --maintainer "T <t@example.org>"'

test_expect_success 'build an upper layer' '
	mkdir -p base up/usr/bin up/etc/$PKG up/usr/share/doc/$PKG &&
	printf "#!/bin/sh\necho hello\n" >up/usr/bin/$PKG &&
	chmod 755 up/usr/bin/$PKG &&
	ln -s $PKG up/usr/bin/$PKG-link &&
	ln up/usr/bin/$PKG up/usr/bin/$PKG-hard &&
	echo greeting=hi >up/etc/$PKG/$PKG.conf &&
	head -c 3000 /dev/zero >up/usr/share/doc/$PKG/zeros
'

test_expect_success 'pack a deb from options' '
	eval "\"\$OVERPACK\" pack -f deb -o p.deb $META" \
		--description "\"Hello for tests
A longer text.

After a blank line.\"" --depends "\"libc6 (>= 2.36)\"" --root base up &&
	test_path_is_file p.deb
'

test_expect_success 'the ar container: members, order, fixed headers' '
	test "$(ar t p.deb | tr "\n" " ")" = "debian-binary control.tar.xz data.tar.xz " &&
	test "$(head -c 8 p.deb)" = "!<arch>" &&
	ar p p.deb debian-binary >db && printf "2.0\n" >expect && test_cmp expect db &&
	test "$(dd if=p.deb bs=1 skip=8 count=60 2>/dev/null)" = \
		"debian-binary   0           0     0     100644  4         \`"
'

test_expect_success 'dpkg-deb --info shows the control fields' '
	dpkg-deb --info p.deb >info &&
	dpkg-deb -f p.deb Package Version Architecture Maintainer Depends >fields &&
	cat >expect <<-EOT &&
	Package: $PKG
	Version: 1.2-1
	Architecture: $(dpkg --print-architecture)
	Maintainer: T <t@example.org>
	Depends: libc6 (>= 2.36)
	EOT
	test_cmp expect fields &&
	dpkg-deb -f p.deb Description >desc &&
	printf "Hello for tests\n A longer text.\n .\n After a blank line.\n" >expect &&
	test_cmp expect desc
'

test_expect_success 'Installed-Size is the file sizes in KiB, rounded up' '
	# 21 + 11 + 3000 bytes; the hard link counts once
	test "$(dpkg-deb -f p.deb Installed-Size)" = 3
'

test_expect_success 'dpkg-deb --contents lists ./ first, then the walk' '
	dpkg-deb --contents p.deb | awk "{ print \$1, \$2, \$6, \$7, \$8 }" >contents &&
	cat >expect <<-EOT &&
	drwxr-xr-x root/root ./  
	drwxr-xr-x root/root ./etc/  
	drwxr-xr-x root/root ./etc/$PKG/  
	-rw-r--r-- root/root ./etc/$PKG/$PKG.conf  
	drwxr-xr-x root/root ./usr/  
	drwxr-xr-x root/root ./usr/bin/  
	-rwxr-xr-x root/root ./usr/bin/$PKG  
	hrwxr-xr-x root/root ./usr/bin/$PKG-hard link to
	lrwxrwxrwx root/root ./usr/bin/$PKG-link -> $PKG
	drwxr-xr-x root/root ./usr/share/  
	drwxr-xr-x root/root ./usr/share/doc/  
	drwxr-xr-x root/root ./usr/share/doc/$PKG/  
	-rw-r--r-- root/root ./usr/share/doc/$PKG/zeros  
	EOT
	test_cmp expect contents
'

test_expect_success 'md5sums match md5sum(1) of every regular file, conffiles is /etc' '
	dpkg-deb -e p.deb ctl &&
	(cd up && md5sum etc/$PKG/$PKG.conf usr/bin/$PKG usr/bin/$PKG-hard \
		usr/share/doc/$PKG/zeros) >expect &&
	test_cmp expect ctl/md5sums &&
	echo /etc/$PKG/$PKG.conf >expect &&
	test_cmp expect ctl/conffiles &&
	ls ctl | tr "\n" " " >members &&
	test "$(cat members)" = "conffiles control md5sums "
'

test_expect_success 'dpkg -i inside overpack run installs it into the upper layer only' '
	"$OVERPACK" run -u inst -- dpkg -i "$TRASH/p.deb" &&
	"$OVERPACK" diff inst >diff &&
	grep -x "A ./usr/bin/$PKG" diff &&
	grep -x "A ./etc/$PKG/$PKG.conf" diff &&
	grep -x "A ./var/lib/dpkg/info/$PKG.list" diff &&
	grep -x "A ./var/lib/dpkg/info/$PKG.conffiles" diff &&
	cmp up/usr/bin/$PKG inst/usr/bin/$PKG &&
	test "$(readlink inst/usr/bin/$PKG-link)" = $PKG &&
	test_path_is_missing /usr/bin/$PKG &&
	test_path_is_missing /var/lib/dpkg/info/$PKG.list &&
	no_overpack_mounts
'

test_expect_success 'dpkg inside the same layer knows the package and verifies it' '
	"$OVERPACK" run -u inst -- dpkg -s $PKG >status &&
	grep -x "Status: install ok installed" status &&
	"$OVERPACK" run -u inst -- dpkg --verify $PKG &&
	"$OVERPACK" run -u inst -- $PKG >out &&
	test "$(cat out)" = hello
'

test_expect_success '--meta FILE gives the fields, options win' '
	cat >meta <<-EOT &&
	# a comment
	Name: $PKG
	version: 0.1
	Maintainer: M <m@example.org>
	Arch: all
	Description: from the file
	 second line
	EOT
	"$OVERPACK" pack -f deb -o m.deb --meta meta --version 0.2 --root base up &&
	test "$(dpkg-deb -f m.deb Version)" = 0.2 &&
	test "$(dpkg-deb -f m.deb Architecture)" = all &&
	test "$(dpkg-deb -f m.deb Maintainer)" = "M <m@example.org>" &&
	dpkg-deb -f m.deb Description >desc &&
	printf "from the file\n second line\n" >expect && test_cmp expect desc
'

test_expect_success 'a .deb suffix picks the format' '
	"$OVERPACK" pack -o s.deb --meta meta --root base up &&
	dpkg-deb --info s.deb >/dev/null
'

test_expect_success 'overpack run -f deb takes its metadata from $OVERPACK_META' '
	OVERPACK_META=$TRASH/meta "$OVERPACK" run -f deb -o "$TRASH/r.deb" -- \
		sh -c "mkdir -p /usr/share/$PKG && echo r >/usr/share/$PKG/r" &&
	dpkg-deb --contents r.deb >contents &&
	grep -q " ./usr/share/$PKG/r$" contents &&
	test "$(dpkg-deb -f r.deb Package)" = $PKG
'

test_expect_success 'same layer and SOURCE_DATE_EPOCH give the same bytes' '
	SOURCE_DATE_EPOCH=1700000000 "$OVERPACK" pack -o d1.deb --meta meta --root base up &&
	sleep 1 && touch up/usr/bin/$PKG &&
	SOURCE_DATE_EPOCH=1700000000 "$OVERPACK" pack -o d2.deb --meta meta --root base up &&
	cmp d1.deb d2.deb &&
	test "$(dd if=d1.deb bs=1 skip=24 count=12 2>/dev/null)" = "1700000000  "
'

test_expect_success 'xattrs dpkg cannot carry: each entry named, exit 1, deb written' '
	mkdir -p upx/usr/bin && echo p >upx/usr/bin/ping && echo q >upx/usr/bin/q &&
	setfattr -n user.note -v x upx/usr/bin/ping &&
	setfattr -n security.capability \
	    -v 0x0000000200200000000000000000000000000000 upx/usr/bin/ping &&
	eval "\"\$OVERPACK\" pack -f deb -o xa.deb $META --description x --root base upx" 2>err;
	test $? -eq 1 &&
	echo "overpack: '"'"'./usr/bin/ping'"'"': deb cannot carry extended attributes, left out: security.capability, user.note" >expect &&
	test_cmp expect err &&
	dpkg-deb --contents xa.deb | grep -q " ./usr/bin/ping$" &&
	setfattr -x user.note upx/usr/bin/ping &&
	setfattr -x security.capability upx/usr/bin/ping &&
	eval "\"\$OVERPACK\" pack -f deb -o xa.deb $META --description x --root base upx" 2>err &&
	! test -s err
'

test_expect_failure_status 'missing metadata is a usage error' 2 '
	"$OVERPACK" pack -f deb -o x.deb --name $PKG --version 1 --root base up
'

test_expect_success 'it names the missing field and leaves no file' '
	test_must_fail "$OVERPACK" pack -f deb -o x.deb --name $PKG --version 1 \
		--maintainer m --root base up 2>err &&
	grep -F "the deb format needs --description" err &&
	test_path_is_missing x.deb
'

test_expect_failure_status 'an invalid package name is a usage error' 2 '
	"$OVERPACK" pack -f deb -o x.deb --meta meta --name Bad_Name --root base up
'

test_expect_failure_status 'an unknown key in the metadata file is a usage error' 2 '
	printf "Name: a\nColour: red\n" >badmeta &&
	"$OVERPACK" pack -f deb -o x.deb --meta badmeta --root base up
'

test_expect_failure_status 'an unknown format is a usage error' 2 '
	"$OVERPACK" pack -f rpm -o x.rpm --root base up
'

test_done
