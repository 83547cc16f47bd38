#!/bin/sh
test_description='overpack run --trace: the access log of base objects, its format, and --trace-strict'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/run-lib.sh"
run_require

# The records of trace $1 whose operation is $2 and path $3, as "PID EXE".
recs() {
	awk -F'\t' -v op="$2" -v p="$3" '!/^#/ && $3 == op && $6 == p {
		print $2, $5 }' "$1"
}

test_expect_failure_status '--trace-strict without --trace exits 2' 2 '
	"$OVERPACK" run --trace-strict -- true
'
test_expect_failure_status 'a trace that cannot be created exits 125' 125 '
	"$OVERPACK" run --trace "$TRASH/no/such/dir/t" -- true
'
test_expect_success 'a traced run writes the header and six fields a record' '
	"$OVERPACK" run --trace t1 -- cat /etc/passwd >/dev/null 2>&1 &&
	test "$(head -n 1 t1)" = "# overpack trace 1" &&
	grep -qx "# root /" t1 &&
	grep -qx "# strict 0" t1 &&
	awk -F"\t" "!/^#/ { n++; if (NF != 6) bad++ } END { exit !(n > 0 && !bad) }" t1
'
test_expect_success 'exec, the program'"'"'s opens, links read and misses are logged' '
	"$OVERPACK" run --trace t2 -- sh -c \
		"cat /etc/passwd >/dev/null; test -e /etc/no-such-file-t6001 || :" \
		2>/dev/null &&
	recs t2 exec /usr/bin/cat | grep -q . &&
	recs t2 open /etc/passwd | grep -q " /usr/bin/cat$" &&
	recs t2 miss /etc/no-such-file-t6001 | grep -q " /usr/bin/dash$" &&
	recs t2 readlink /usr/bin/sh | grep -q . &&
	recs t2 lookup /etc/passwd | grep -q .
'
test_expect_success 'listings are logged, objects of the upper layer are not' '
	"$OVERPACK" run --trace t3 -- sh -c \
		"ls /usr/share >/dev/null; echo x >/etc/t6001-new; cat /etc/t6001-new" \
		>/dev/null 2>&1 &&
	recs t3 readdir /usr/share | grep -q " /usr/bin/ls$" &&
	recs t3 miss /etc/t6001-new | grep -q . &&
	test -z "$(recs t3 open /etc/t6001-new)" &&
	test -z "$(recs t3 lookup /etc/t6001-new)"
'

# Two processes each stat a file, list a directory and follow a link.
twice='for i in 1 2; do
	stat /etc/passwd >/dev/null; ls /usr/share >/dev/null;
	cat /usr/share/zoneinfo/../../../etc/os-release >/dev/null; done'
test_expect_success 'by default the kernel caches: a second process is not seen' '
	"$OVERPACK" run --trace t4 -- sh -c "$twice" 2>/dev/null &&
	test "$(recs t4 lookup /etc/passwd | wc -l)" -eq 1 &&
	test "$(recs t4 readdir /usr/share | wc -l)" -eq 1 &&
	test "$(recs t4 readlink /etc/os-release | wc -l)" -eq 1
'
test_expect_success '--trace-strict: every process'"'"'s access reaches the log' '
	"$OVERPACK" run --trace t5 --trace-strict -- sh -c "$twice" 2>/dev/null &&
	grep -qx "# strict 1" t5 &&
	test "$(recs t5 lookup /etc/passwd | cut -d" " -f1 | sort -u | wc -l)" -eq 2 &&
	test "$(recs t5 readdir /usr/share | cut -d" " -f1 | sort -u | wc -l)" -eq 2 &&
	test "$(recs t5 readlink /etc/os-release | cut -d" " -f1 | sort -u | wc -l)" -eq 2
'

command -v gcc >/dev/null && test -f /usr/include/zlib.h || {
	test_skip "a compile against its headers needs gcc and zlib1g-dev"
	test_done
}
test_expect_success 'the trace of a compile opens exactly the headers gcc -M names' '
	printf "#include <stdio.h>\n#include <zlib.h>\n#include <sys/stat.h>\nint main(void) { return 0; }\n" >c.c &&
	gcc -M c.c | tr " \\\\" "\n\n" | grep "\.h$" | xargs realpath |
		sort -u >expect &&
	test "$(wc -l <expect)" -gt 5 &&
	"$OVERPACK" run --trace t6 -- gcc -c c.c -o c.o 2>/dev/null &&
	awk -F"\t" "\$3 == \"open\" && \$6 ~ /\\.h\$/ { print \$6 }" t6 |
		sort -u >actual &&
	test_cmp expect actual
'
test_done
