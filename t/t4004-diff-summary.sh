#!/bin/sh
test_description='overpack diff --summary: counts and bytes per top-level entry'
. "$top_srcdir/t/test-lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (mknod, trusted.* xattrs)"

test_expect_success 'build a base and an upper layer' '
	mkdir -p base/usr/bin base/etc base/old base/var up/usr/bin up/etc \
	    up/var &&
	echo tool >base/usr/bin/tool && echo conf >base/etc/conf &&
	echo gone >base/usr/bin/gone && echo d >base/var/d &&
	printf "1234567890" >up/usr/bin/added &&
	printf "abc" >up/usr/bin/tool &&
	mknod up/usr/bin/gone c 0 0 &&
	cp -p base/etc/conf up/etc/conf && chmod 0600 up/etc/conf &&
	mkdir up/var/d &&
	mkdir up/new && setfattr -n trusted.overlay.redirect -v /old up/new &&
	mknod up/old c 0 0 &&
	printf "12345" >up/top &&
	touch -r base/usr up/usr && touch -r base/usr/bin up/usr/bin &&
	touch -r base/etc up/etc && touch -r base/var up/var
'

test_expect_success '--summary follows the changes, sorted by name' '
	"$OVERPACK" diff --summary --root base up >got &&
	cat >expect <<-\EOT &&
	m ./etc/conf (mode)
	R ./old -> ./new
	A ./top
	A ./usr/bin/added
	D ./usr/bin/gone
	M ./usr/bin/tool
	T ./var/d
	./etc: 0 added, 0 modified, 1 metadata, 0 deleted, 0 retyped, 0 renamed; 0 bytes
	./new: 0 added, 0 modified, 0 metadata, 0 deleted, 0 retyped, 1 renamed; 0 bytes
	./top: 1 added, 0 modified, 0 metadata, 0 deleted, 0 retyped, 0 renamed; 5 bytes
	./usr: 1 added, 1 modified, 0 metadata, 1 deleted, 0 retyped, 0 renamed; 13 bytes
	./var: 0 added, 0 modified, 0 metadata, 0 deleted, 1 retyped, 0 renamed; 0 bytes
	total: 2 added, 1 modified, 1 metadata, 1 deleted, 1 retyped, 1 renamed; 18 bytes
	EOT
	test_cmp expect got
'

test_expect_success 'without --summary there is none (must fail to find it)' '
	"$OVERPACK" diff --root base up >plain &&
	! grep -q "bytes$" plain && test "$(wc -l <plain)" -eq 7
'

test_expect_success 'an empty diff has an empty summary' '
	mkdir empty && "$OVERPACK" diff --summary --root base empty >out &&
	! test -s out
'

test_expect_success '--summary --json: the same counts per top-level entry and in total' '
	"$OVERPACK" diff --summary --json --root base up >got.json &&
	python3 - got.json <<-\EOT
	import json, sys
	doc = json.load(open(sys.argv[1]))
	assert doc["version"] == 1 and len(doc["changes"]) == 7, doc
	s = doc["summary"]
	assert [t["path"] for t in s["top_level"]] == \
	    ["./etc", "./new", "./top", "./usr", "./var"], s
	usr = s["top_level"][3]
	assert (usr["added"], usr["modified"], usr["deleted"], usr["bytes"]) \
	    == (1, 1, 1, 13), usr
	assert s["total"] == {"added": 2, "modified": 1, "metadata": 1,
	    "deleted": 1, "retyped": 1, "renamed": 1, "bytes": 18}, s["total"]
	EOT
'

test_expect_success 'an empty --summary --json has zero totals' '
	"$OVERPACK" diff --summary --json --root base empty >e.json &&
	python3 -c "import json, sys; s = json.load(sys.stdin)[\"summary\"]; assert s[\"top_level\"] == [] and set(s[\"total\"].values()) == {0}, s" <e.json
'

test_expect_success '-p with --json: exit 2, a reason, no report' '
	"$OVERPACK" diff -p --json --root base up >out 2>err; test $? -eq 2 &&
	grep -Fx "overpack: -p cannot be used with --json: a unified diff has no JSON form" err &&
	! test -s out
'

test_done
