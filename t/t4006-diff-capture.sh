#!/bin/sh
test_description='overpack diff --json on a real capture: every class and field, odd names, totals'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/run-lib.sh"
run_require
command -v python3 >/dev/null || skip_all "needs python3"

# A statically linked busybox is the installer's shell and tools.
BUSYBOX=$(command -v busybox) &&
ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic executable' ||
	skip_all "needs a statically linked busybox (Debian: busybox-static)"
SETFATTR=$(command -v setfattr) || skip_all "needs setfattr (attr)"
SETCAP=$(command -v setcap) || skip_all "needs setcap (libcap2-bin)"

# Copy program $1 into base r with the libraries ldd names for it.
copy_prog() {
	cp --parents -L "$1" r &&
	for l in $(ldd "$1" | grep -o '/[^ ]*'); do
		cp --parents -L "$l" r || return 1
	done
}

test_expect_success 'a base root with a shell, config files and directories' '
	mkdir -p r/bin r/etc r/usr/bin r/usr/share r/opt/app/share/doc \
	    r/opt/old/sub r/opt/gonedir r/opt/odd &&
	cp "$BUSYBOX" r/bin/busybox &&
	for c in sh echo printf chmod chown touch rm ln mv mkdir cat; do
		ln -s busybox "r/bin/$c" || return 1
	done &&
	copy_prog "$SETFATTR" && copy_prog "$SETCAP" &&
	printf "/bin/sh\n" >r/etc/shells &&
	for f in secret owned stamp attr gone; do
		echo "$f" >"r/etc/$f" || return 1
	done &&
	echo ping >r/usr/bin/ping && echo doc >r/opt/app/share/doc/README &&
	echo o >r/opt/old/sub/f && echo g >r/opt/gonedir/g &&
	echo x >"r/opt/odd/$(printf "old\nname")" &&
	cat >r/install.sh <<-\EOF
	set -e
	echo /bin/newsh >>/etc/shells
	printf x >/usr/bin/added
	mkdir -p /opt/app/plugins && echo p >/opt/app/plugins/p.conf
	chmod 600 /etc/secret
	chown 1:2 /etc/owned
	touch -d "2001-02-03 04:05:06" /etc/stamp
	setfattr -n user.note -v installed /etc/attr
	setcap cap_net_raw+ep /usr/bin/ping
	rm /etc/gone
	rm -r /opt/gonedir
	rm -r /opt/app/share && ln -s /usr/share /opt/app/share
	mv /opt/old /opt/new
	rm "/opt/odd/$(printf "old\nname")"
	touch "/opt/odd/$(printf "new\nline")" "/opt/odd/$(printf "bad\377byte")"
	EOF
	touch -d "2000-01-01" r/etc/*
'

test_expect_success 'the installer runs in overpack run over the base' '
	"$OVERPACK" run --root r -u up -- /bin/sh /install.sh
'

test_expect_success 'diff --json is valid JSON, version 1' '
	"$OVERPACK" diff --json --root r up >d.json &&
	python3 -c "import json, sys; d = json.load(open(sys.argv[1])); assert d[\"version\"] == 1, d" d.json
'

test_expect_success 'every change the installer made, in its class, nothing else' '
	python3 - d.json <<-\EOT
	import json, os, sys
	recs = json.load(open(sys.argv[1]))["changes"]
	got = {(r["op"], os.fsencode(r["path"])): r for r in recs}
	want = {
	    ("M", b"./etc/shells"), ("A", b"./usr/bin/added"),
	    ("A", b"./opt/app/plugins"), ("A", b"./opt/app/plugins/p.conf"),
	    ("m", b"./etc/secret"), ("m", b"./etc/owned"),
	    ("m", b"./etc/stamp"), ("m", b"./etc/attr"), ("m", b"./usr/bin/ping"),
	    ("D", b"./etc/gone"), ("D", b"./opt/gonedir"),
	    ("T", b"./opt/app/share"), ("R", b"./opt/new"),
	    ("D", b"./opt/odd/old\nname"), ("A", b"./opt/odd/new\nline"),
	    ("A", b"./opt/odd/bad\xffbyte"),
	}
	assert set(got) == want, (set(got) ^ want)
	assert len(recs) == len(want), recs
	classes = {"A": "added", "M": "modified", "m": "metadata",
	    "D": "deleted", "T": "retyped", "R": "renamed"}
	assert {r["class"] for r in recs} == set(classes.values())
	for r in recs:
	    assert r["class"] == classes[r["op"]], r
	fields = {k[1]: r["fields"] for k, r in got.items() if k[0] == "m"}
	assert fields == {
	    b"./etc/secret": ["mode"], b"./etc/owned": ["owner", "group"],
	    b"./etc/stamp": ["mtime"], b"./etc/attr": ["xattr"],
	    b"./usr/bin/ping": ["capability"]}, fields
	t = got[("T", b"./opt/app/share")]
	assert (t["type"], t["old_type"]) == ("symlink", "dir"), t
	r = got[("R", b"./opt/new")]
	assert r["from"] == "./opt/old" and r["type"] == "dir", r
	assert got[("D", b"./opt/gonedir")]["type"] == "dir"
	assert got[("A", b"./opt/app/plugins")]["type"] == "dir"
	assert "bytes" not in got[("A", b"./opt/app/plugins")]
	assert got[("A", b"./usr/bin/added")]["bytes"] == 1
	assert got[("M", b"./etc/shells")]["bytes"] == len(b"/bin/sh\n/bin/newsh\n")
	assert got[("M", b"./etc/shells")]["fields"] == []
	EOT
'

test_expect_success 'the text report has the same changes in the same order' '
	"$OVERPACK" diff --root r up >d.txt &&
	python3 - d.json d.txt <<-\EOT
	import json, sys
	recs = json.load(open(sys.argv[1]))["changes"]
	lines = open(sys.argv[2], "rb").read().splitlines()
	assert len(lines) == len(recs), (lines, recs)
	for line, r in zip(lines, recs):
	    assert line[:1].decode() == r["op"], (line, r)
	assert b"D ./opt/odd/old\\nname" in lines, lines
	assert b"A ./opt/odd/bad\\377byte" in lines, lines
	EOT
'

# Check that the --summary --json file $1 agrees with the text report $2.
check_totals() {
	python3 - "$1" "$2" <<-\EOT
	import collections, json, sys
	doc = json.load(open(sys.argv[1]))
	recs, s = doc["changes"], doc["summary"]
	lines = open(sys.argv[2], "rb").read().splitlines()
	changes = [l for l in lines if l[1:2] == b" "]
	classes = dict(zip("AMmDTR", ["added", "modified", "metadata",
	    "deleted", "retyped", "renamed"]))
	count = collections.Counter(classes[l[:1].decode()] for l in changes)
	total = s["total"]
	for c in classes.values():
	    assert total[c] == count[c], (c, total, count)
	assert total["bytes"] == sum(r.get("bytes", 0) for r in recs), total
	for key in total:
	    assert total[key] == sum(t[key] for t in s["top_level"]), key
	tops = collections.Counter(r["path"].split("/")[1] for r in recs)
	assert {t["path"]: t["added"] + t["modified"] + t["metadata"] +
	    t["deleted"] + t["retyped"] + t["renamed"]
	    for t in s["top_level"]} == \
	    {"./" + k: v for k, v in tops.items()}, (s, tops)
	text = [l for l in lines if l.startswith(b"total:")]
	assert text == [("total: %d added, %d modified, %d metadata, "
	    "%d deleted, %d retyped, %d renamed; %d bytes" % tuple(
	    total[k] for k in list(classes.values()) + ["bytes"])).encode()], text
	EOT
}

test_expect_success '--summary --json totals agree with the plain listing' '
	"$OVERPACK" diff --summary --json --root r up >s.json &&
	"$OVERPACK" diff --summary --root r up >s.txt &&
	python3 -c "import json, sys; assert json.load(open(sys.argv[1]))[\"summary\"][\"total\"][\"added\"] == 5" s.json &&
	check_totals s.json s.txt
'

test_expect_success 'a report with one change left out fails the check (must fail)' '
	grep -v "^D ./etc/gone$" s.txt >short.txt &&
	! check_totals s.json short.txt 2>/dev/null
'

test_expect_success '--exit-code with --json: exit 1 when something changed' '
	"$OVERPACK" diff --json --exit-code --root r up >/dev/null; test $? -eq 1
'

test_done
