# Guest-side stress, sourced by check.sh where GUEST_STRESS=1: unload races
# with RCU frees still pending, and malformed writes to every control file.
KO=/scx_kick_pseqs.ko
nr_cpu_ids=$(($(sed 's/.*-//' /sys/devices/system/cpu/possible) + 1))

# The KUnit suites already ran at the first load: skip them from now on.
if [ -e /sys/module/kunit ]; then
	echo "scx_kick_pseqs_none" >/sys/module/kunit/parameters/filter_glob
fi

rounds=${RMMOD_ROUNDS:-100}
i=0
while [ "$i" -lt "$rounds" ]; do
	insmod "$KO"
	echo 1 >"$D/enable"
	echo 1 >"$D/disable"
	rmmod scx_kick_pseqs
	i=$((i + 1))
done
check_unloaded
echo "stress: $rounds rounds of insmod, enable, disable, rmmod with RCU frees pending: ok"
kmemleak_scan "the unload rounds"

insmod "$KO"
echo "stress: malformed writes while disabled"
/fuzz "$D" "${FUZZ_COUNT:-2000}" "$nr_cpu_ids"
echo 1 >"$D/enable"
echo "stress: malformed writes while enabled"
/fuzz "$D" "${FUZZ_COUNT:-2000}" "$nr_cpu_ids"
echo 1 >"$D/disable"
rmmod scx_kick_pseqs
