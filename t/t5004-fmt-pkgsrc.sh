#!/bin/sh
test_description='overpack pack -f pkgsrc and overpack plist: layout pkg_add reads'
# No pkg_add on Debian: t/pkgsrc-check.py reads the package as pkg_add does.
. "$top_srcdir/t/test-lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (chown)"
command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"
command -v python3 >/dev/null || skip_all "needs python3"
command -v getfattr >/dev/null || skip_all "needs getfattr (attr)"
CHECK="python3 $top_srcdir/t/pkgsrc-check.py"

P=up/usr/pkg
META='--name foo --version 1.0nb2 --description "Foo tool
Foo does things."'

test_expect_success 'build an upper layer below /usr/pkg' '
	mkdir -p base/etc $P/bin $P/lib $P/share/foo/empty $P/share/doc &&
	printf "root:x:0:0::/root:/bin/sh\ndaemon:x:1:1::/:/bin/sh\n" \
	    >base/etc/passwd &&
	printf "root:x:0:\ndaemon:x:1:\n" >base/etc/group &&
	printf "#!/bin/sh\necho foo\n" >$P/bin/foo && chmod 755 $P/bin/foo &&
	printf "x" >$P/bin/suid && chmod 4755 $P/bin/suid &&
	echo lib >$P/lib/libfoo.so.1 &&
	ln -s /usr/pkg/lib/libfoo.so.1 $P/lib/libfoo.so &&
	ln -s ../../../etc/passwd $P/lib/outside-link &&
	echo data >$P/share/doc/data && chown 1:1 $P/share/doc/data &&
	ln $P/share/doc/data $P/share/doc/data2 &&
	setfattr -n user.note -v kept $P/lib/libfoo.so.1
'

test_expect_success 'pack a pkgsrc package' '
	eval "\"\$OVERPACK\" pack -f pkgsrc -o foo-1.0nb2.tgz $META" \
		--depends "\"bar>=1.0, baz-[0-9]*\"" --maintainer m@example.org \
		--root base up &&
	gzip -t foo-1.0nb2.tgz
'

test_expect_success 'metadata first, in order, then the files relative to the prefix' '
	bsdtar -tf foo-1.0nb2.tgz >names &&
	cat >expect <<-\EOT &&
	+CONTENTS
	+COMMENT
	+DESC
	+BUILD_INFO
	+SIZE_PKG
	+SIZE_ALL
	bin/foo
	bin/suid
	lib/libfoo.so
	lib/libfoo.so.1
	lib/outside-link
	share/doc/data
	share/doc/data2
	EOT
	test_cmp expect names
'

test_expect_success '+CONTENTS: name, deps, cwd, files with MD5, modes, owners, pkgdir' '
	bsdtar -xOf foo-1.0nb2.tgz +CONTENTS >contents &&
	cd $P &&
	md5() { echo "@comment MD5:$(md5sum <$1 | cut -d" " -f1)"; } &&
	cat >../../../expect <<-EOT &&
	@name foo-1.0nb2
	@pkgdep bar>=1.0
	@pkgdep baz-[0-9]*
	@cwd /usr/pkg
	bin/foo
	$(md5 bin/foo)
	@mode 4755
	bin/suid
	$(md5 bin/suid)
	@mode
	lib/libfoo.so
	@comment Symlink:libfoo.so.1
	lib/libfoo.so.1
	$(md5 lib/libfoo.so.1)
	lib/outside-link
	@comment Symlink:../../../etc/passwd
	@owner daemon
	@group daemon
	share/doc/data
	$(md5 share/doc/data)
	@group
	@owner
	@owner daemon
	@group daemon
	share/doc/data2
	$(md5 share/doc/data)
	@group
	@owner
	@pkgdir share/foo/empty
	EOT
	cd ../../.. &&
	test_cmp expect contents
'

test_expect_success 'every MD5 in +CONTENTS matches the file in the archive' '
	mkdir x && bsdtar -xpf foo-1.0nb2.tgz -C x &&
	awk "/^@/ { if (\$1 == \"@comment\" && f != \"\" && \$2 ~ /^MD5:/) print substr(\$2, 5) \"  \" f; f = \"\"; next } { f = \$0 }" \
		contents >sums &&
	test "$(wc -l <sums)" -eq 5 &&
	(cd x && md5sum -c --quiet ../sums)
'

test_expect_success 'the archive keeps modes and owners; absolute links into the prefix become relative' '
	test "$(stat -c %a x/bin/suid)" = 4755 &&
	test "$(stat -c %U:%G x/share/doc/data)" = daemon:daemon &&
	test "$(readlink x/lib/libfoo.so)" = libfoo.so.1
'

# +SIZE_PKG counts as ls -ld does: hard links each time, links their target.
a=libfoo.so.1 b=../../../etc/passwd
test_expect_success 'the other metadata files' '
	test "$(cat x/+COMMENT)" = "Foo tool" &&
	printf "Foo tool\nFoo does things.\n" >expect && test_cmp expect x/+DESC &&
	grep -x "OPSYS=$(uname -s)" x/+BUILD_INFO &&
	grep -x "MACHINE_ARCH=$(uname -m)" x/+BUILD_INFO &&
	grep -x "MAINTAINER=m@example.org" x/+BUILD_INFO &&
	size=$(cat $P/bin/foo $P/bin/suid $P/lib/libfoo.so.1 $P/share/doc/data \
	    $P/share/doc/data | wc -c) &&
	size=$((size + ${#a} + ${#b})) &&
	test "$(cat x/+SIZE_PKG)" = $size &&
	test "$(cat x/+SIZE_ALL)" = $size
'

test_expect_success 'pkg_add would install it: metadata, list and archive in step' '
	$CHECK foo-1.0nb2.tgz foo-1.0nb2
'

test_expect_success 'xattrs are kept for pkg_add to restore' '
	mkdir xa && bsdtar --xattrs -xpf foo-1.0nb2.tgz -C xa lib/libfoo.so.1 &&
	test "$(getfattr --only-values -n user.note xa/lib/libfoo.so.1)" = kept
'

# Rewrite package $1 as $2 with python code $3 run on members m (a list
# of (TarInfo, bytes)) and C, the +CONTENTS text.
tamper() {
	python3 - "$1" "$2" "$3" <<-\EOT
	import io, sys, tarfile
	src = tarfile.open(sys.argv[1], "r:gz")
	m = [(i, src.extractfile(i).read() if i.isfile() else None)
	     for i in src.getmembers()]
	C = m[0][1].decode()
	exec(sys.argv[3])
	m[0] = (m[0][0], C.encode())
	m[0][0].size = len(m[0][1])
	out = tarfile.open(sys.argv[2], "w:gz", format=tarfile.PAX_FORMAT)
	for i, data in m:
	    out.addfile(i, io.BytesIO(data) if data is not None else None)
	out.close()
	EOT
}

test_expect_success 'the check passes an untouched rewrite' '
	tamper foo-1.0nb2.tgz same.tgz "" && $CHECK same.tgz foo-1.0nb2
'

test_expect_success 'the check catches what pkg_add refuses (must fail)' '
	tamper foo-1.0nb2.tgz t1.tgz "m[6], m[7] = m[7], m[6]" &&
	! $CHECK t1.tgz foo-1.0nb2 >out && grep -F "don'"'"'t match" out &&
	tamper foo-1.0nb2.tgz t2.tgz "m[1], m[0] = m[0], m[1]" &&
	! $CHECK t2.tgz foo-1.0nb2 >out && grep -F "first member" out &&
	tamper foo-1.0nb2.tgz t3.tgz "m[2], m[3] = m[3], m[2]" &&
	! $CHECK t3.tgz foo-1.0nb2 >out && grep -F "misordered" out &&
	tamper foo-1.0nb2.tgz t4.tgz "m.pop()" &&
	! $CHECK t4.tgz foo-1.0nb2 >out && grep -F "not in package" out &&
	! $CHECK foo-1.0nb2.tgz foo-1.0 >out && grep -F "@name" out
'

test_expect_success 'the check catches a wrong MD5, size or mode (must fail)' '
	tamper foo-1.0nb2.tgz t5.tgz "C = C.replace(\"MD5:\", \"MD5:0\", 1)" &&
	! $CHECK t5.tgz foo-1.0nb2 >out && grep -F "bytes have MD5" out &&
	tamper foo-1.0nb2.tgz t6.tgz "m[4] = (m[4][0], b\"1\\n\"); m[4][0].size = 2" &&
	! $CHECK t6.tgz foo-1.0nb2 >out && grep -F "+SIZE_PKG says 1" out &&
	tamper foo-1.0nb2.tgz t7.tgz "C = C.replace(\"@mode 4755\", \"@mode 0755\")" &&
	! $CHECK t7.tgz foo-1.0nb2 >out && grep -F "@mode 0755, but the member has 4755" out &&
	tamper foo-1.0nb2.tgz t8.tgz "C = C.replace(\"@cwd /usr/pkg\\n\", \"\")" &&
	! $CHECK t8.tgz foo-1.0nb2 >out && grep -F "@cwd" out
'

test_expect_success 'overpack plist prints the packing list' '
	"$OVERPACK" plist --root base up >plist &&
	cat >expect <<-\EOT &&
	bin/foo
	bin/suid
	lib/libfoo.so
	lib/libfoo.so.1
	lib/outside-link
	share/doc/data
	share/doc/data2
	@pkgdir share/foo/empty
	EOT
	test_cmp expect plist
'

test_expect_success 'plist --prefix' '
	"$OVERPACK" plist --prefix /usr --root base up >plist &&
	sed -n "1p;\$p" plist >got &&
	printf "pkg/bin/foo\n@pkgdir pkg/share/foo/empty\n" >expect &&
	test_cmp expect got &&
	test_must_fail "$OVERPACK" plist --prefix /usr/pkg/lib --root base up 2>err &&
	grep -F "./usr/pkg/bin/foo'"'"' is outside the prefix '"'"'/usr/pkg/lib'"'"'" err
'

test_expect_success 'same layer and SOURCE_DATE_EPOCH give the same bytes' '
	eval "SOURCE_DATE_EPOCH=1700000000 \"\$OVERPACK\" pack -f pkgsrc -o d1.tgz $META --root base up" &&
	sleep 1 && touch $P/bin/foo &&
	eval "SOURCE_DATE_EPOCH=1700000000 \"\$OVERPACK\" pack -f pkgsrc -o d2.tgz $META --root base up" &&
	cmp d1.tgz d2.tgz &&
	test "$(od -An -tx1 -j4 -N4 d1.tgz | tr -d " ")" = 00000000
'

test_expect_success 'names pkg_add would misread: each named, exit 1, no package' '
	Q=up2/usr/pkg && mkdir -p $Q/bin "$Q/ lead" &&
	echo 1 >"$Q/bin/$(printf "a\nb")" && echo 2 >$Q/@foo &&
	echo 3 >"$Q/bin/trail " && ln -s "$(printf "t\nx")" $Q/bin/nl-link &&
	eval "\"\$OVERPACK\" pack -f pkgsrc -o odd.tgz $META --root base up2" 2>err;
	test $? -eq 1 && test_path_is_missing odd.tgz &&
	cat >expect <<-\EOT &&
	overpack: '"'"'./usr/pkg/ lead'"'"' cannot be named in +CONTENTS: leading white space
	overpack: '"'"'./usr/pkg/@foo'"'"' cannot be named in +CONTENTS: a leading '"'"'@'"'"'
	overpack: '"'"'./usr/pkg/bin/a\nb'"'"' cannot be named in +CONTENTS: a newline
	overpack: '"'"'./usr/pkg/bin/nl-link'"'"' has a link target +CONTENTS cannot hold: a newline
	overpack: '"'"'./usr/pkg/bin/trail '"'"' cannot be named in +CONTENTS: trailing white space
	overpack: 5 names cannot be written in +CONTENTS; no package written
	EOT
	test_cmp expect err &&
	"$OVERPACK" plist --root base up2 >/dev/null 2>err; test $? -eq 1 &&
	grep -Fx "overpack: 5 names cannot be written in a packing list" err
'

test_expect_success 'names it reads right pack; an owner without a name gets no @owner' '
	R=up3/usr/pkg && mkdir -p $R/bin && echo 1 >"$R/bin/ lead" &&
	echo 2 >$R/bin/x@y && echo 3 >$R/bin/nobody && chown 4242:4243 $R/bin/nobody &&
	eval "\"\$OVERPACK\" pack -f pkgsrc -o ok.tgz $META --root base up3" &&
	$CHECK ok.tgz foo-1.0nb2 &&
	bsdtar -xOf ok.tgz +CONTENTS >c3 &&
	grep -Fx "bin/ lead" c3 && grep -Fx "bin/x@y" c3 &&
	! grep "^@owner\|^@group" c3 &&
	bsdtar -tvf ok.tgz --numeric-owner bin/nobody | grep -q " 4242 *4243 "
'

test_expect_success 'files outside the prefix: each named, exit 1, no package' '
	mkdir -p up/etc && echo x >up/etc/foo.conf && echo y >up/usr/stray &&
	eval "\"\$OVERPACK\" pack -f pkgsrc -o out.tgz $META --root base up" 2>err;
	test $? -eq 1 &&
	grep -Fx "overpack: '"'"'./etc/foo.conf'"'"' is outside the prefix '"'"'/usr/pkg'"'"'" err &&
	grep -Fx "overpack: '"'"'./usr/stray'"'"' is outside the prefix '"'"'/usr/pkg'"'"'" err &&
	test_path_is_missing out.tgz
'

test_expect_failure_status 'plist says so too (exit 1)' 1 '
	"$OVERPACK" plist --root base up
'

test_expect_failure_status 'missing metadata is a usage error' 2 '
	"$OVERPACK" pack -f pkgsrc -o m.tgz --name foo --version 1 --root base up
'

test_expect_failure_status 'a version with a dash is a usage error' 2 '
	"$OVERPACK" pack -f pkgsrc -o m.tgz --name foo --version 1-2 --description x --root base up
'

test_expect_failure_status 'a relative prefix is a usage error' 2 '
	"$OVERPACK" plist --prefix usr/pkg --root base up
'

test_done
