#!/bin/sh
test_description='a lower directory of 100,000 entries: one readdir lists each once, random lookups find them'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

NE=100000
mkdir -p "$L/huge" &&
(cd "$L/huge" && seq -f "entry-%06g" 1 $NE | xargs touch) &&
echo needle >"$L/huge/entry-054321" || exit 1

# The listing of 100,000 empty files, without reading each one again and
# again: names and attributes only, plus the one file with content.
lower_listing() {
	(cd "$L" && find . -printf '%p %y %m %u %g %s %n %T@\n' | sort &&
	sha256sum huge/entry-054321)
}
lower_snapshot
fs_mount

test_fs "readdir of $NE lower entries lists each once, in bounded time" '
	timeout 60 ls -f "$M/huge" >all &&
	grep -c "^entry-" all >count && echo $NE >want && test_cmp want count &&
	test -z "$(sort all | uniq -d)"
'

test_fs 'random lookups find entries; a missing one is ENOENT' '
	for n in 1 777 31415 54321 99999 100000; do
		expect "ok type=reg" lstat "$M/huge/$(printf "entry-%06d" $n)" type || exit 1
	done &&
	expect "ok needle" read "$M/huge/entry-054321" &&
	expect ENOENT lstat "$M/huge/entry-100001" &&
	expect ENOENT lstat "$M/huge/entry-000000"
'

test_fs 'after deleting and creating entries the listing has the new count' '
	expect ok unlink "$M/huge/entry-000002" &&
	expect ok open "$M/huge/new" O_CREAT,O_EXCL,O_WRONLY 0644 &&
	expect ok rename "$M/huge/entry-000003" "$M/huge/moved" &&
	timeout 60 ls -f "$M/huge" | grep -v "^\.\.\?$" >all2 &&
	test "$(wc -l <all2)" -eq $NE &&
	! grep -qx entry-000002 all2 && grep -qx new all2 && grep -qx moved all2
'

fs_done
