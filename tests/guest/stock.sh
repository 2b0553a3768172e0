# Guest side of the stock scenarios: Debian's own kernel, which has no KUnit,
# so the checks are the ones a user runs by hand, each failing the guest:
# the demo, an enable/kick/disable cycle checked in stats under each policy,
# the unload races and the fuzzer (stress.sh) and three CPUs kicking at once
# (kick_race.sh).
. /lib.sh
stat_of() { sed -n "s/^$1: //p" "$D/stats"; }
nr_cpu_ids=$(($(sed 's/.*-//' /sys/devices/system/cpu/possible) + 1))

[ ! -e /sys/module/kunit ] || fail "this kernel has KUnit: the stock scenarios expect Debian's, which has none"
echo "stock: kernel $(uname -r), nr_cpu_ids $nr_cpu_ids"
. /run.sh

online=$(online_count)
insmod /scx_kick_pseqs.ko
echo 1 >"$D/enable"
[ "$(cat "$D/state")" = enabled ] || fail "state after enable: $(cat "$D/state")"
[ "$(stat_of arrays)" = "$online" ] || fail "arrays after enable (online policy): $(stat_of arrays), expected $online"
echo 1 >"$D/disable"
echo possible >"$D/policy"
echo 1 >"$D/enable"
[ "$(stat_of arrays)" = "$nr_cpu_ids" ] || fail "arrays after enable (possible policy): $(stat_of arrays), expected $nr_cpu_ids"
echo "0 wait" >"$D/kick" || fail "kick '0 wait' was refused"
echo "1 wait" >"$D/kick" || fail "kick '1 wait' was refused"
last=$((nr_cpu_ids - 1))
if echo "$last wait" >"$D/kick" 2>/tmp/err; then
	fail "kick of offline CPU $last was accepted"
fi
grep -q 'No such device$' /tmp/err || fail "kick of offline CPU $last: $(cat /tmp/err), expected ENODEV"
if echo "$nr_cpu_ids" >"$D/kick" 2>/tmp/err; then
	fail "kick of CPU $nr_cpu_ids (beyond nr_cpu_ids) was accepted"
fi
grep -q 'Invalid argument' /tmp/err || fail "kick of CPU $nr_cpu_ids: $(cat /tmp/err), expected EINVAL"
echo 1 >"$D/disable"
[ "$(stat_of arrays)" = 0 ] || fail "arrays after disable: $(stat_of arrays)"
rmmod scx_kick_pseqs
check_unloaded
echo "stock: enable, $online arrays (online policy) and $nr_cpu_ids (possible policy), kicks, disable, unload: ok"

. /stress.sh
. /kick_race.sh
echo "stock: all checks passed"
