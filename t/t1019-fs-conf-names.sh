#!/bin/sh
test_description='names of 255 bytes, paths of 4095 bytes, names with newlines and bytes that are not UTF-8, on lower, upper and copied-up objects'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/fs-lib.sh"
. "$here/conf-lib.sh"
fs_require
umask 022

N255=$(printf "%0255d" 7)
NL=$(printf 'new\nline.')
NL=${NL%.}
BIN=$(printf 'bin\377\376\200.')
BIN=${BIN%.}
# A relative path of exactly 4095 bytes: 15 directories and a file, each
# named with 255 bytes.
DEEP=
i=0
while [ $i -lt 15 ]; do
	DEEP="$DEEP$(printf "%0255d" $i)/"
	i=$((i + 1))
done
DEEPD=${DEEP%/}
DEEP=$DEEP$N255
[ ${#DEEP} -eq 4095 ] || { echo "Bail out! DEEP is ${#DEEP} bytes"; exit 1; }
export N255 NL BIN DEEP DEEPD

conf_make '
	mkdir names && echo long >"names/$N255" && echo nl >"names/$NL" &&
	echo bin >"names/$BIN" && mkdir -p "$DEEPD" && echo deep >"$DEEP"
'
# lower_listing that reads each file from its own directory: the deep
# paths are too long to open from $L.
lower_listing() {
	(cd "$L" &&
	find . -printf '%p %y %m %u %g %s %n %T@ %l\n' | sort &&
	find . -type f -execdir sha256sum {} + | sort &&
	find . -execdir getfattr -h -d -m - -e hex {} + 2>&1 | sort)
}
lower_snapshot
fs_mount

# The names of a directory, NUL-separated and sorted, as bytes.
names_of() { find "$1" -mindepth 1 -maxdepth 1 -printf '%f\0' | sort -z | od -An -c; }

test_conf 'a directory of odd names lists the same bytes as on the host' '
	same_as_host "names_of \"\$Y/names\""
'

for n in N255 NL BIN; do
	test_conf "a name ($n) reads, is written, renamed and deleted" '
		eval "nm=\$$n" &&
		expect_both "ok type=reg" "lstat \"\$Y/names/\$nm\" type" &&
		expect_both ok "open \"\$Y/names/\$nm\" O_WRONLY,O_APPEND 0 +" &&
		expect_both ok "rename \"\$Y/names/\$nm\" \"\$Y/names/\${nm%?}X\"" &&
		same_as_host "names_of \"\$Y/names\"" &&
		expect_both ok "rename \"\$Y/names/\${nm%?}X\" \"\$Y/names/\$nm\"" &&
		same_as_host "op read \"\$Y/names/\$nm\"" &&
		expect_both ok "unlink \"\$Y/names/\$nm\"" &&
		expect_both ENOENT "lstat \"\$Y/names/\$nm\"" &&
		same_as_host "names_of \"\$Y/names\""
	'
done

test_conf 'a relative path of 4095 bytes works; 4096 is ENAMETOOLONG' '
	cd "$X" &&
	expect "ok deep" read "$DEEP" &&
	expect ok open "$DEEP" O_WRONLY,O_APPEND 0 "+" &&
	expect "ok deep
+" read "$DEEP" &&
	expect ok rename "$DEEP" "${DEEP%?}x" &&
	expect ok rename "${DEEP%?}x" "$DEEP" &&
	expect ENAMETOOLONG open "${DEEP}x" O_CREAT,O_WRONLY 0644 &&
	expect ENAMETOOLONG lstat "./$DEEP" &&
	expect ok unlink "$DEEP" &&
	expect ok open "$DEEP" O_CREAT,O_EXCL,O_WRONLY 0644 again &&
	expect "ok again" read "$DEEP"
'

fs_done
