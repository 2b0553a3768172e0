# Guest-side kick race, sourced by check.sh where GUEST_KICK_RACE=1: what a
# user tried first. Three CPUs write '0 wait' to kick at once, KICK_RACE_WRITES
# times each; every write must succeed, and the guest must not freeze (the
# timeout of scripts/vm catches that). Needs 4 online CPUs.
writes=${KICK_RACE_WRITES:-3000}
[ "$(nproc)" -ge 4 ] || fail "kick race: needs 4 online CPUs, has $(nproc)"
if [ -e /sys/module/kunit ]; then
	echo "scx_kick_pseqs_none" >/sys/module/kunit/parameters/filter_glob
fi
insmod /scx_kick_pseqs.ko
echo 1 >"$D/enable"
cat >/tmp/kick_loop.sh <<LOOP
i=0
while [ "\$i" -lt "$writes" ]; do
	echo "0 wait" >"$D/kick"
	i=\$((i + 1))
done
LOOP
start=$(date +%s)
taskset -c 1 sh -e /tmp/kick_loop.sh &
p1=$!
taskset -c 2 sh -e /tmp/kick_loop.sh &
p2=$!
taskset -c 3 sh -e /tmp/kick_loop.sh &
p3=$!
wait "$p1" || fail "kick race: the writer on CPU 1 saw an error"
wait "$p2" || fail "kick race: the writer on CPU 2 saw an error"
wait "$p3" || fail "kick race: the writer on CPU 3 saw an error"
echo "kick race: 3 CPUs x $writes writes of '0 wait': ok in $(($(date +%s) - start)) s"
grep '^kicks_coalesced:' "$D/stats"
echo 1 >"$D/disable"
rmmod scx_kick_pseqs
