#!/bin/sh
test_description='dpkg -i of a package with maintainer scripts, captured without root'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/user-lib.sh"
user_require
for p in dpkg dpkg-deb bsdtar; do
	command -v $p >/dev/null || skip_all "needs $p"
done
dpkg -s optest >/dev/null 2>&1 && skip_all "optest is installed on this host"

U=$OPT_USER
test_expect_success 'a .deb whose scripts chown, chmod and make a fifo' '
	mkdir -p pkg/DEBIAN pkg/usr/bin pkg/usr/share/optest &&
	printf "#!/bin/sh\necho optest\n" >pkg/usr/bin/optest &&
	chmod 755 pkg/usr/bin/optest &&
	echo data >pkg/usr/share/optest/data &&
	cat >pkg/DEBIAN/control <<-EOS &&
	Package: optest
	Version: 1.0
	Architecture: all
	Maintainer: overpack tests <root@localhost>
	Description: overpack test package
	EOS
	cat >pkg/DEBIAN/preinst <<-EOS &&
	#!/bin/sh
	set -e
	test "\$(id -u)" = 0
	EOS
	cat >pkg/DEBIAN/postinst <<-EOS &&
	#!/bin/sh
	set -e
	chown bin:bin /usr/share/optest/data
	chmod 4755 /usr/bin/optest
	mkfifo -m 0600 /usr/share/optest/fifo
	EOS
	chmod 755 pkg/DEBIAN/preinst pkg/DEBIAN/postinst &&
	dpkg-deb --root-owner-group --build pkg $U/optest.deb >/dev/null &&
	chmod 644 $U/optest.deb
'
test_expect_success 'dpkg -i runs, as root inside, without root outside' '
	as $U "$OVERPACK" run -o "$TRASH/$U/optest.tar" -u up -- \
		dpkg -i optest.deb >out 2>err &&
	grep -q "Setting up optest" out &&
	! dpkg -s optest >/dev/null 2>&1 &&
	test_path_is_missing /usr/bin/optest
'
test_expect_success 'the package holds the files with what the scripts set' '
	bsdtar -tvf $U/optest.tar >list &&
	grep -E "^-rwsr-xr-x .* root +root .* \./usr/bin/optest$" list &&
	grep -E "^-rw-r--r-- .* bin +bin .* \./usr/share/optest/data$" list &&
	grep -E "^prw------- .* root +root .* \./usr/share/optest/fifo$" list &&
	grep -q " \./var/lib/dpkg/info/optest.list$" list &&
	grep -q " \./var/lib/dpkg/status$" list
'
test_expect_success 'dpkg inside knows the package; the host does not' '
	as $U "$OVERPACK" run -u up -- dpkg -s optest >status &&
	grep -qx "Status: install ok installed" status &&
	as $U "$OVERPACK" diff "$TRASH/$U/up" >diff &&
	grep -qx "M ./var/lib/dpkg/status" diff
'
test_expect_success 'nothing of the session stays mounted' '
	no_overpack_mounts
'
test_done
