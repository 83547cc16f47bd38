#!/bin/sh
test_description='overpack diff: A, M, m, D, T, R and what is not a change'
. "$top_srcdir/t/test-lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (mknod, chown, trusted.* xattrs)"

test_expect_success 'build a base and an upper layer' '
	mkdir -p base/etc base/usr/bin base/var/lib base/old/in base/opq/x \
	    base/dir2link base/meta &&
	echo a >base/etc/content && echo same >base/etc/same &&
	echo m >base/etc/mode && echo o >base/etc/owner &&
	echo t >base/etc/time && echo x >base/etc/xattr &&
	echo del >base/etc/del && echo tool >base/usr/bin/tool &&
	ln -s target1 base/etc/link && echo i >base/old/in/i &&
	echo h >base/opq/x/h && echo k >base/opq/keep &&
	echo f >base/dir2link/f &&
	touch -d "2020-01-01" base/etc/* &&
	mkdir -p up/etc up/usr/bin up/var/lib up/new up/opq up/meta &&
	echo b >up/etc/content &&
	cp -p base/etc/same up/etc/same &&
	cp -p base/etc/mode up/etc/mode && chmod 0600 up/etc/mode &&
	cp -p base/etc/owner up/etc/owner && chown 1234:5678 up/etc/owner &&
	cp -p base/etc/time up/etc/time && touch -d "2021-01-01" up/etc/time &&
	cp -p base/etc/xattr up/etc/xattr && setfattr -n user.k -v v up/etc/xattr &&
	mknod up/etc/del c 0 0 &&
	ln -s target2 up/etc/link && touch -h -r base/etc/link up/etc/link &&
	echo added >up/usr/bin/added &&
	echo new >up/var/lib/state &&
	setfattr -n trusted.overlay.redirect -v /old up/new &&
	mknod up/old c 0 0 &&
	setfattr -n trusted.overlay.opaque -v y up/opq &&
	cp -p base/opq/keep up/opq/keep &&
	ln -s elsewhere up/dir2link &&
	chmod 0700 up/meta &&
	touch -r base/usr up/usr && touch -r base/usr/bin up/usr/bin
'

test_expect_success 'diff prints one line per change, in path order' '
	"$OVERPACK" diff --root base up >got &&
	cat >expect <<-\EOT &&
	T ./dir2link
	M ./etc/content
	D ./etc/del
	M ./etc/link
	m ./etc/mode (mode)
	m ./etc/owner (owner,group)
	m ./etc/time (mtime)
	m ./etc/xattr (xattr)
	m ./meta (mode)
	R ./old -> ./new
	D ./opq/x
	A ./usr/bin/added
	A ./var/lib/state
	EOT
	test_cmp expect got
'

test_expect_success 'copied-up parents and identical rewrites are not changes' '
	! grep -E " \./(etc|usr|usr/bin|var/lib|opq|opq/keep|etc/same)$" got
'

test_expect_success 'a capability change is named as such' '
	setfattr -n security.capability \
	    -v 0x0000000200200000000000000000000000000000 up/usr/bin/tool 2>/dev/null ||
	{ cp -p base/usr/bin/tool up/usr/bin/tool &&
	  setfattr -n security.capability \
	    -v 0x0000000200200000000000000000000000000000 up/usr/bin/tool; } &&
	"$OVERPACK" diff --root base up >got &&
	grep -x "m ./usr/bin/tool (capability)" got
'

test_expect_success 'content and metadata together' '
	echo changed >up/etc/mode &&
	"$OVERPACK" diff --root base up >got &&
	grep -x "M ./etc/mode (mode)" got
'

test_expect_success 'a deleted directory is one line, not its contents' '
	mknod up/old2 c 0 0 && mkdir base/old2 && echo 1 >base/old2/a &&
	"$OVERPACK" diff --root base up >got &&
	grep -x "D ./old2" got && ! grep "old2/" got
'

test_expect_success '--exit-code: 1 with changes, 0 without' '
	test_must_fail "$OVERPACK" diff --exit-code --root base up >/dev/null &&
	mkdir empty && "$OVERPACK" diff --exit-code --root base empty >out &&
	test_must_be_empty() { ! test -s "$1"; } && test_must_be_empty out
'

test_expect_success 'a wrong expectation fails (must fail)' '
	"$OVERPACK" diff --root base up >got &&
	! grep -x "A ./etc/same" got
'

test_expect_failure_status 'bad option exits 2' 2 '
	"$OVERPACK" diff --bogus up
'

test_expect_failure_status 'missing UPPER exits 125 and names it' 125 '
	"$OVERPACK" diff --root base nosuch 2>err; st=$?; grep -q nosuch err && exit $st
'

test_done
