# Guest-side CPU hotplug cycling, sourced by check.sh where GUEST_HOTPLUG=1:
# with the online policy enabled in each layout, every CPU but the boot CPU
# goes offline and online through sysfs, HOTPLUG_ROUNDS times, while two
# kickers kick every CPU in turn, the CPUs they run on coming and going too.
# After every step the stats must show one array per online CPU (cpus_up:
# the same CPUs) and no kick may have met a NULL slot; some kicks must have
# succeeded; disable and rmmod must leave nothing behind.
rounds=${HOTPLUG_ROUNDS:-1}
stat_of() {
	sed -n "s/^$1: //p" "$D/stats"
}
# check_arrays WHEN: one array per online CPU, and as many CPUs up.
check_arrays() {
	want=$(online_count)
	[ "$(stat_of arrays)" = "$want" ] || fail "hotplug: $1: $(stat_of arrays) arrays, $want CPUs online"
	[ "$(stat_of cpus_up)" = "$want" ] || fail "hotplug: $1: cpus_up $(stat_of cpus_up), $want CPUs online"
	[ "$(stat_of null_slot_reads)" = 0 ] || fail "hotplug: $1: a kick irq_work met a NULL slot"
}
cpus=$(sed -n 's/^0-//p' /sys/devices/system/cpu/online)
[ -n "$cpus" ] && [ "$cpus" -ge 7 ] || fail "hotplug: needs 8 online CPUs, has $(cat /sys/devices/system/cpu/online)"
if [ -e /sys/module/kunit ]; then
	echo "scx_kick_pseqs_none" >/sys/module/kunit/parameters/filter_glob
fi
insmod /scx_kick_pseqs.ko
[ "$(cat "$D/policy")" = online ] || fail "hotplug: the default policy is $(cat "$D/policy"), not online"
# Kickers: each kicks every CPU in turn, without wait (a wait holds its CPU
# up to a second, and the KUnit hotplug suite covers waits); a CPU that is
# offline answers ENODEV: only a NULL slot (checked in the stats) is an
# error here.
cat >/tmp/hotplug_kicker.sh <<LOOP
ok=0
while [ ! -e /tmp/hotplug_stop ]; do
	t=0
	while [ "\$t" -le "$cpus" ]; do
		if echo "\$t" >"$D/kick" 2>/dev/null; then
			ok=\$((ok + 1))
		fi
		t=\$((t + 1))
	done
done
echo "\$ok" >"/tmp/hotplug_kicks.\$1"
LOOP
for layout in packed kvzalloc; do
	echo "$layout" >"$D/layout"
	echo 1 >"$D/enable"
	check_arrays "$layout, enabled"
	rm -f /tmp/hotplug_stop
	pids=
	for k in 0 1; do
		sh /tmp/hotplug_kicker.sh "$k" &
		pids="$pids $!"
	done
	start=$(date +%s)
	r=0
	while [ "$r" -lt "$rounds" ]; do
		c=1
		while [ "$c" -le "$cpus" ]; do
			echo 0 >/sys/devices/system/cpu/cpu$c/online
			check_arrays "$layout, CPU $c offline"
			c=$((c + 1))
		done
		c=1
		while [ "$c" -le "$cpus" ]; do
			echo 1 >/sys/devices/system/cpu/cpu$c/online
			check_arrays "$layout, CPU $c online"
			c=$((c + 1))
		done
		r=$((r + 1))
	done
	touch /tmp/hotplug_stop
	for p in $pids; do
		wait "$p"
	done
	kicks=$(($(cat /tmp/hotplug_kicks.0) + $(cat /tmp/hotplug_kicks.1)))
	[ "$kicks" -gt 0 ] || fail "hotplug: $layout: no kick succeeded"
	echo "hotplug: $layout: CPUs 1-$cpus offline and online $rounds time(s), arrays following, $kicks kicks: ok in $(($(date +%s) - start)) s"
	echo 1 >"$D/disable"
	[ "$(stat_of arrays)" = 0 ] || fail "hotplug: $layout: $(stat_of arrays) arrays after disable"
done
n=0
while [ "$(stat_of rcu_frees_pending)" != 0 ] && [ "$n" -lt 10 ]; do
	sleep 1
	n=$((n + 1))
done
[ "$(stat_of rcu_frees_pending)" = 0 ] || fail "hotplug: RCU frees still pending"
rmmod scx_kick_pseqs
check_unloaded
kmemleak_scan "the hotplug cycles"
