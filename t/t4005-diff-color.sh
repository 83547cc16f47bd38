#!/bin/sh
test_description='overpack diff --color: op letters coloured, plain on a pipe'
. "$top_srcdir/t/test-lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (mknod)"

esc=$(printf "\033")

test_expect_success 'build a base and an upper layer' '
	mkdir -p base/etc base/dir up/etc &&
	echo m >base/etc/mod && echo x >base/etc/meta && echo d >base/etc/del &&
	echo t >base/etc/type &&
	echo changed >up/etc/mod &&
	cp -p base/etc/meta up/etc/meta && chmod 0600 up/etc/meta &&
	mknod up/etc/del c 0 0 && mkdir up/etc/type && echo a >up/etc/add &&
	touch -r base/etc up/etc
'

test_expect_success '--color=always colours each op letter' '
	"$OVERPACK" diff --color=always --root base up >got &&
	cat >expect <<-EOT &&
	${esc}[32mA${esc}[m ./etc/add
	${esc}[31mD${esc}[m ./etc/del
	${esc}[33mm${esc}[m ./etc/meta (mode)
	${esc}[33mM${esc}[m ./etc/mod
	${esc}[36mT${esc}[m ./etc/type
	EOT
	test_cmp expect got
'

test_expect_success '--color=never and auto on a pipe are plain' '
	"$OVERPACK" diff --color=never --root base up >never &&
	"$OVERPACK" diff --color=auto --root base up | cat >auto &&
	"$OVERPACK" diff --root base up | cat >default &&
	! grep -q "$esc" never && test_cmp never auto && test_cmp never default &&
	grep -x "A ./etc/add" never
'

test_expect_success 'NO_COLOR does not stop --color=always' '
	NO_COLOR=1 "$OVERPACK" diff --color=always --root base up >nc &&
	test_cmp expect nc
'

test_expect_failure_status 'a bad --color value is a usage error' 2 '
	"$OVERPACK" diff --color=sometimes --root base up
'

test_expect_failure_status '--color needs a value' 2 '
	"$OVERPACK" diff --root base up --color
'

test_done
