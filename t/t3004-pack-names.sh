#!/bin/sh
test_description='overpack pack: odd names, 255-byte names, deep paths'
. "$top_srcdir/t/test-lib.sh"

command -v bsdtar >/dev/null || skip_all "needs bsdtar (libarchive-tools)"
command -v python3 >/dev/null || skip_all "needs python3"

long=$(printf "%0255d" 0)

test_expect_success 'build names with a newline, non-UTF-8 bytes, 255 bytes' '
	mkdir up base &&
	touch "up/$(printf "new\nline")" "up/$(printf "bad\377byte")" \
	    "up/$(printf "caf\303\251")" "up/$long" "up/-dash" "up/back\\slash"
'

test_expect_success 'a 256-byte name cannot exist (the limit is real)' '
	! touch "up/${long}x" 2>/dev/null
'

test_expect_success 'pack handles them' '
	"$OVERPACK" pack -o out.tar --root base up
'

test_expect_success 'extraction gives every name back byte for byte' '
	mkdir x && LC_ALL=C.UTF-8 bsdtar -xpf out.tar -C x &&
	(cd up && find . | sort) >want &&
	(cd x && find . | sort) >got &&
	test_cmp want got
'

# bsdtar cannot extract below PATH_MAX itself, so the deep tree is
# checked from the listing and by reading the leaf out of the archive.
deep=""
i=0
while [ $i -lt 40 ]; do
	deep="$deep/d$(printf %03d $i)$(printf "%0200d" 0 | tr 0 x)"
	i=$((i + 1))
done

test_expect_success 'build a tree deeper than PATH_MAX (fd-relative)' '
	mkdir deepup &&
	python3 -c "
import os, sys
d = os.open(\"deepup\", os.O_RDONLY)
for n in sys.argv[1].strip(\"/\").split(\"/\"):
    os.mkdir(n, dir_fd=d)
    d2 = os.open(n, os.O_RDONLY, dir_fd=d)
    os.close(d)
    d = d2
fd = os.open(\"leaf\", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=d)
os.write(fd, b\"deep\\n\")
" "$deep" &&
	test ${#deep} -gt 4096
'

test_expect_success 'pack walks it without ENAMETOOLONG' '
	"$OVERPACK" pack -o deep.tar --root base deepup 2>err &&
	! grep . err
'

test_expect_success 'the listing has every level and the leaf' '
	bsdtar -tf deep.tar >names &&
	test "$(wc -l <names)" -eq 41 &&
	grep -qxF ".$deep/leaf" names &&
	test "$(bsdtar -xOf deep.tar ".$deep/leaf")" = deep
'

test_expect_success 'GNU tar reads UTF-8 names without hdrcharset warnings' '
	mkdir -p "g/$(printf "caf\303\251")/sub" &&
	"$OVERPACK" pack -o utf8.tar g &&
	tar -tf utf8.tar >/dev/null 2>warnings &&
	! grep hdrcharset warnings
'

test_expect_success 'no entry name is absolute or has ..' '
	LC_ALL=C.UTF-8 bsdtar -tf out.tar >names && LC_ALL=C.UTF-8 bsdtar -tf deep.tar >>names &&
	! grep -v "^\./" names &&
	! grep -E "(^|/)\.\.(/|$)" names
'

test_done
