#!/bin/sh
test_description='concurrency: writers in one directory, make -j4 install, readdir during creates and deletes; no crash, no lost entry, no deadlock'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
fs_require
command -v make >/dev/null || skip_all "no make(1)"
umask 022

mkdir -p "$L/w" "$L/usr/local/bin" "$L/usr/local/lib" "$L/usr/local/share/man/man1" \
	"$L/rd" "$L/src" &&
echo 'lower a' >"$L/w/a" && echo 'lower b' >"$L/w/b" &&
echo old >"$L/usr/local/bin/tool-4" && echo keep >"$L/usr/local/bin/other" &&
i=0 && while [ $i -lt 200 ]; do
	echo "content $i" >"$L/src/f$i" || exit 1
	i=$((i + 1))
done &&
(cd "$L/rd" && seq -f "stable-%03g" 1 300 | xargs touch) || exit 1

lower_snapshot
fs_mount

# Is the filesystem still there and answering?
alive() {
	fs_is_mounted && timeout 10 ls "$M" >/dev/null ||
		{ echo "the mount does not answer"; return 1; }
}

test_fs 'two processes writing different files in one directory' '
	for f in a b c d; do
		(i=0; while [ $i -lt 200 ]; do
			op open "$M/w/$f" O_CREAT,O_WRONLY,O_APPEND 0644 "$f$i
" >/dev/null || exit 1
			i=$((i + 1))
		done) &
	done &&
	timeout 60 sh -c wait; wait &&
	alive &&
	for f in a b c d; do
		test "$(grep -c "^$f[0-9]*$" "$M/w/$f")" -eq 200 || { echo "$f lost writes"; exit 1; }
	done &&
	test "$(head -n 1 "$M/w/a")" = "lower a" &&
	test "$(head -n 1 "$M/w/c")" = c0 &&
	test "$(wc -l <"$M/w/c")" -eq 200 &&
	test "$(wc -l <"$M/w/a")" -eq 201
'

# Where rule i installs its file, and with which mode.
inst_dir() {
	case $(($1 % 4)) in
	0) echo bin ;;
	1) echo lib ;;
	2) echo share/man/man1 ;;
	3) echo share/pkg/sub$(($1 % 7)) ;;
	esac
}

# A Makefile with one rule per file, as automake writes for "install".
make_makefile() {
	{
		printf "DESTDIR = %s\nall:\n" "$M"
		printf "install:"
		i=0; while [ $i -lt 200 ]; do printf " inst-%d" $i; i=$((i + 1)); done
		printf "\n"
		i=0; while [ $i -lt 200 ]; do
			m=0644 && [ $((i % 4)) -eq 0 ] && m=0755
			printf "inst-%d:\n\tinstall -D -m %s %s/src/f%d \$(DESTDIR)/usr/local/%s/tool-%d\n" \
				$i $m "$M" $i "$(inst_dir $i)" $i
			i=$((i + 1))
		done
	} >Makefile
}

test_fs 'make -j4 install of 200 files into merged and new directories' '
	make_makefile &&
	{ timeout 60 make -s -j4 install >make.out 2>&1 || { cat make.out; false; }; } &&
	alive &&
	test "$(find "$M/usr/local" -name "tool-*" -type f | wc -l)" -eq 200 &&
	i=0 && while [ $i -lt 200 ]; do
		expect "ok content $i" read "$M/usr/local/$(inst_dir $i)/tool-$i" || exit 1
		i=$((i + 1))
	done &&
	expect "ok mode=0755" lstat "$M/usr/local/bin/tool-8" mode &&
	expect "ok mode=0644" lstat "$M/usr/local/lib/tool-9" mode &&
	expect "ok content 4" read "$M/usr/local/bin/tool-4" &&
	expect "ok keep" read "$M/usr/local/bin/other" &&
	test_must_fail timeout 60 make -s -j4 no-such-target 2>/dev/null
'

test_fs 'readdir while entries are created and deleted loses no stable entry' '
	(i=0; while [ $i -lt 400 ]; do
		echo x >"$M/rd/tmp-$i" && rm -f "$M/rd/tmp-$((i - 5))" &&
		rm -f "$M/rd/stable-$(printf %03d $((i % 300 + 1)))x" || exit 1
		i=$((i + 1))
	done) &
	w=$! &&
	n=0 && while [ $n -lt 40 ]; do
		timeout 20 ls -f "$M/rd" >list || { echo "ls failed or hung"; exit 1; }
		test "$(grep -c "^stable-" list)" -eq 300 ||
			{ echo "listing $n has $(grep -c "^stable-" list) stable entries"; exit 1; }
		test -z "$(sort list | uniq -d)" || { echo "duplicates in listing $n"; exit 1; }
		n=$((n + 1))
	done &&
	wait $w && alive &&
	test "$(ls "$M/rd" | grep -c "^tmp-")" -eq 5
'

fs_done
