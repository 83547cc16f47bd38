#!/bin/sh
test_description='open files across copy-up, racing copy-ups, and directories too big for one readdir'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
umask 022

mkdir -p "$L/big" "$L/par" &&
for f in ro rw race fresh; do echo "lower $f" >"$L/$f" || exit 1; done &&
i=0 && while [ $i -lt 20 ]; do
	echo "lower $i" >"$L/par/f$i" || exit 1
	i=$((i + 1))
done &&
(cd "$L/big" && seq -f "lower-entry-with-a-long-name-%05g" 1 3000 | xargs touch) &&
mkdir -p "$U/big" &&
(cd "$U/big" && seq -f "upper-entry-with-a-long-name-%05g" 1 2000 | xargs touch &&
 seq -f "lower-entry-with-a-long-name-%05g" 1 3 3000 |
 while read -r n; do mknod "$n" c 0 0 || exit 1; done) || exit 1

lower_snapshot
fs_mount

test_fs 'a file opened read-only before copy-up reads what is written after' '
	exec 3<"$M/ro" &&
	expect ok open "$M/ro" O_WRONLY,O_APPEND 0 "more" &&
	printf "lower ro\nmore" >expect &&
	cat <&3 >actual && exec 3<&- &&
	test_cmp expect actual
'

test_fs 'two handles on a copied-up file see each other'"'"'s writes' '
	exec 4>>"$M/rw" &&
	exec 5<"$M/rw" &&
	printf one >&4 &&
	printf "lower rw\none" >expect && cat <&5 >actual &&
	test_cmp expect actual &&
	printf two >&4 && exec 4>&- &&
	test "$(cat <&5)" = two && exec 5<&-
'

test_fs 'eight processes appending to one lower file copy it up once' '
	for p in 1 2 3 4 5 6 7 8; do
		(for i in 1 2 3 4 5 6 7 8 9 10; do
			op open "$M/race" O_WRONLY,O_APPEND 0 "$p.$i
" >/dev/null || exit 1
		done) &
	done && wait &&
	head -n 1 "$M/race" >first && echo "lower race" >expect &&
	test_cmp expect first &&
	test "$(wc -l <"$M/race")" -eq 81 &&
	test "$(grep -c "^[1-8]\.[0-9]*$" "$M/race")" -eq 80
'

test_fs 'parallel copy-ups of the files of one lower directory' '
	i=0 && while [ $i -lt 20 ]; do
		op chmod "$M/par/f$i" 0600 >/dev/null &
		i=$((i + 1))
	done && wait &&
	i=0 && while [ $i -lt 20 ]; do
		expect "ok mode=0600" lstat "$M/par/f$i" mode &&
		expect "ok lower $i" read "$M/par/f$i" || exit 1
		i=$((i + 1))
	done &&
	test "$(ls -A "$U/par" | wc -l)" -eq 20
'

test_fs 'parallel creates and deletes in one merged directory' '
	for p in 1 2 3 4; do
		(i=0; while [ $i -lt 25 ]; do
			echo "$p" >"$M/par/new$p.$i" &&
			rm "$M/par/new$p.$i" && echo "$p" >"$M/par/new$p.$i" || exit 1
			i=$((i + 1))
		done) &
	done && wait &&
	test "$(ls -A "$M/par" | wc -l)" -eq 120 &&
	test -z "$(ls -A "$M/par" | sort | uniq -d)"
'

test_fs 'a directory of 4000 merged entries lists each once, none whited out' '
	ls -A1 "$M/big" >all &&
	test "$(wc -l <all)" -eq 4000 &&
	test -z "$(sort all | uniq -d)" &&
	! grep -qx "lower-entry-with-a-long-name-00001" all &&
	grep -qx "lower-entry-with-a-long-name-00002" all &&
	grep -qx "upper-entry-with-a-long-name-02000" all
'

test_fs 'the big directory renames and lists the same' '
	expect ok rename "$M/big" "$M/big2" &&
	ls -A1 "$M/big2" | sort >after && sort all >before &&
	test_cmp before after
'

fs_done
