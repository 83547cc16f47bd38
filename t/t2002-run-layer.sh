#!/bin/sh
test_description='overpack run: the host stays untouched, the upper layer holds the changes, -u continues it'
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
. "$here/run-lib.sh"
run_require

# Fixtures on the host, in places a package install writes to.
F=/usr/local/share/overpack-t2002.$$
E=/etc/overpack-t2002.$$
test_cleanup_extra='rm -rf "$F" "$E" "$E.new"'
mkdir -p "$F/dir/d1" &&
echo a >"$F/a" && echo b >"$F/b" && echo c >"$F/c" &&
echo x >"$F/dir/d1/x" && echo e >"$E" &&
chmod 644 "$F/c" || exit 1
tree_listing "$F" >host.before
ls -la /etc >etc.before

test_expect_success 'writes, deletes, chmods and renames under run' '
	"$OVERPACK" run -u up -- sh -c "
		echo new >$E.new &&
		echo changed >>$F/a &&
		rm $F/b &&
		chmod 600 $F/c &&
		mv $F/dir $F/renamed &&
		rm $E &&
		test \"\$(cat $F/renamed/d1/x)\" = x &&
		test ! -e $F/dir"
'
test_expect_success 'the host is unchanged' '
	tree_listing "$F" >host.after &&
	test_cmp host.before host.after &&
	test "$(cat "$E")" = e &&
	test_path_is_missing "$E.new" &&
	ls -la /etc >etc.after &&
	test_cmp etc.before etc.after
'
test_expect_success 'the upper layer holds the changes, whiteouts included' '
	test "$(cat "up$E.new")" = new &&
	printf "a\nchanged\n" >expect && test_cmp expect "up$F/a" &&
	is_whiteout "up$F/b" &&
	test "$(stat -c %a "up$F/c")" = 600 &&
	getfattr -n trusted.overlay.metacopy "up$F/c" >/dev/null 2>&1 &&
	test "$(stat -c %b "up$F/c")" = 0 &&
	is_whiteout "up$F/dir" &&
	test_path_is_dir "up$F/renamed" &&
	is_whiteout "up$E"
'
test_expect_success 'the upper layer holds nothing else' '
	(cd up && find . -mindepth 1 | sort) >actual &&
	{ echo ./etc; echo ".$E"; echo ".$E.new"; echo ./usr; echo ./usr/local;
	  echo ./usr/local/share; echo ".$F"; echo ".$F/a"; echo ".$F/b";
	  echo ".$F/c"; echo ".$F/dir"; echo ".$F/renamed"; } | sort >expect &&
	grep -v "^\.$F/renamed/" actual >actual.top &&
	test_cmp expect actual.top
'
test_expect_success '-u continues an existing upper layer' '
	"$OVERPACK" run -u up -- sh -c "
		test \"\$(cat $F/a)\" = \"\$(printf \"a\nchanged\")\" &&
		test ! -e $F/b && test ! -e $F/dir && test ! -e $E &&
		test \"\$(cat $F/renamed/d1/x)\" = x &&
		echo second >$F/second &&
		rm $F/renamed/d1/x" &&
	test "$(cat "up$F/second")" = second &&
	test "$(cat "up$E.new")" = new &&
	is_whiteout "up$F/b" &&
	test_path_is_dir up/../.up.work &&
	tree_listing "$F" >host.after2 &&
	test_cmp host.before host.after2
'
test_expect_success 'a session waits for the disk once, at its end: no mark is left' '
	test_path_is_missing .up.work/volatile
'
test_expect_success 'a layer whose volatile session the machine lost is refused' '
	echo 00000000-0000-0000-0000-000000000000 >.up.work/volatile &&
	test_expect_code 125 "$OVERPACK" run -u up -- sh -c "echo no >$F/lost" \
		2>err &&
	grep -q "upper layer .*up. was being written when the machine went down" err &&
	grep -q "remove .*\.up\.work/volatile. to use it anyway" err &&
	test_path_is_missing "up$F/lost" &&
	test "$(cat "up$F/second")" = second &&
	test_expect_code 125 "$OVERPACK" pack -o lost.tar up 2>err &&
	grep -q "upper layer .up. was being written when the machine went down, so it may be incomplete" err &&
	test_path_is_missing lost.tar &&
	test_expect_code 1 "$OVERPACK" diff up >diff.out 2>err &&
	grep -q "may be incomplete" err &&
	grep -q "second" diff.out &&
	rm .up.work/volatile &&
	"$OVERPACK" pack -o lost.tar up &&
	"$OVERPACK" run -u up -- test -e "$F/second"
'
test_expect_failure_status 'a fresh session does not see those changes' 1 '
	"$OVERPACK" run -- test -e "$E.new" 2>/dev/null
'
test_expect_success 'no mount of a session is left on the host' '
	no_overpack_mounts
'
test_done
