#!/bin/sh
test_description='overpack diff --json: valid JSON, schema version 1, odd names'
. "$top_srcdir/t/test-lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (mknod, trusted.* xattrs)"
command -v python3 >/dev/null || skip_all "needs python3"

test_expect_success 'build names that need escaping' '
	mkdir -p base/old up &&
	echo x >"base/$(printf "gone\nline")" &&
	mknod "up/$(printf "gone\nline")" c 0 0 &&
	touch "up/$(printf "bad\377byte")" "up/$(printf "caf\303\251")" \
	    "up/quote\"back\\slash" "up/$(printf "tab\tctl\001")" &&
	mkdir up/new && setfattr -n trusted.overlay.redirect -v /old up/new &&
	mknod up/old c 0 0
'

test_expect_success 'the output is valid JSON' '
	"$OVERPACK" diff --json --root base up >out.json &&
	python3 -c "import json, sys; json.load(open(sys.argv[1], encoding=\"utf-8\"))" out.json
'

test_expect_success 'names round-trip through surrogateescape' '
	python3 - out.json <<-\EOT
	import json, os, sys
	doc = json.load(open(sys.argv[1], encoding="utf-8"))
	assert doc["version"] == 1 and set(doc) == {"version", "changes"}, doc
	recs = doc["changes"]
	paths = {os.fsencode(r["path"]) for r in recs}
	want = {b"./gone\nline", b"./bad\xffbyte", b"./caf\xc3\xa9",
	    b"./quote\"back\\slash", b"./tab\tctl\x01", b"./new"}
	assert paths == want, paths
	ops = {os.fsencode(r["path"]): r["op"] for r in recs}
	assert ops[b"./gone\nline"] == "D"
	assert ops[b"./new"] == "R"
	r = [r for r in recs if r["op"] == "R"][0]
	assert r["from"] == "./old" and r["fields"] == []
	assert r["class"] == "renamed" and r["type"] == "dir"
	d = [r for r in recs if r["op"] == "D"][0]
	assert d["class"] == "deleted" and d["type"] == "file", d
	assert "bytes" not in d and "from" not in d and "old_type" not in d
	a = [r for r in recs if r["op"] == "A"]
	assert all(r["class"] == "added" and r["type"] == "file" and
	    r["bytes"] == 0 for r in a), a
	EOT
'

test_expect_success 'the text output escapes like fputname' '
	"$OVERPACK" diff --root base up >out.txt &&
	grep -xF "D ./gone\\nline" out.txt &&
	grep -xF "A ./bad\\377byte" out.txt &&
	grep -xF "A ./tab\\tctl\\001" out.txt &&
	test "$(wc -l <out.txt)" -eq 6
'

test_expect_success 'an empty diff has an empty list of changes' '
	mkdir empty && "$OVERPACK" diff --json --root base empty >e.json &&
	python3 -c "import json, sys; assert json.load(sys.stdin) == {\"version\": 1, \"changes\": []}" <e.json
'

test_expect_success 'broken JSON would be caught (must fail)' '
	printf "[{\"op\":\"A\",}]" >bad.json &&
	! python3 -c "import json, sys; json.load(sys.stdin)" <bad.json 2>/dev/null
'

test_done
