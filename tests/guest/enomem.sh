# Guest-side ENOMEM for real, sourced by check.sh where GUEST_ENOMEM=1: pin
# all but ENOMEM_SPARE_MB of free memory in a tmpfs (unreclaimable without
# swap), so the arrays cannot fit; enable must fail with ENOMEM, leave
# nothing behind, and the guest must stay usable. Then release the memory:
# the same guest, now big enough, must enable and disable again.
spare=${ENOMEM_SPARE_MB:-256}
echo "scx_kick_pseqs_none" >/sys/module/kunit/parameters/filter_glob
insmod /scx_kick_pseqs.ko

mkdir -p /fill
mount -t tmpfs -o size=100% tmpfs /fill
avail_mb=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) / 1024))
pin=$((avail_mb - spare))
# fallocate reserves the pages without copying zeroes from user space.
fallocate -l "${pin}M" /fill/pinned
echo "enomem: pinned $pin MiB, $(($(awk '/^MemFree:/ { print $2 }' /proc/meminfo) / 1024)) MiB free"

if echo 1 >"$D/enable" 2>/tmp/err; then
	fail "enomem: enable succeeded with the memory pinned"
fi
grep -q "Cannot allocate memory" /tmp/err || fail "enomem: enable failed with '$(cat /tmp/err)', not ENOMEM"
[ "$(cat "$D/state")" = disabled ] || fail "enomem: state is '$(cat "$D/state")' after the failed enable"
grep -q "^arrays: 0$" "$D/stats" || fail "enomem: arrays left after the failed enable: $(grep '^arrays:' "$D/stats")"
sleep 1
grep -q "^rcu_frees_pending: 0$" "$D/stats" || fail "enomem: RCU frees still pending a second after the failed enable"
echo "enomem: enable failed with ENOMEM; state disabled, no arrays, no frees pending"

# Still healthy: a small allocation and the module's other files work.
dd if=/dev/zero of=/tmp/small bs=1M count=8 2>/dev/null
rm /tmp/small
if echo 0 >"$D/kick" 2>/tmp/err; then
	fail "enomem: a kick succeeded while disabled"
fi
grep -q "No such device or address" /tmp/err || fail "enomem: a kick while disabled failed with '$(cat /tmp/err)', not ENXIO"
echo "enomem: a small allocation works, kicks refuse with ENXIO"

rm /fill/pinned
umount /fill
echo 1 >"$D/enable"
arrays=$(grep "^arrays:" "$D/stats") || fail "enomem: no arrays line in stats"
echo "enomem: memory released, enabled: $arrays"
echo 1 >"$D/disable"
rmmod scx_kick_pseqs
echo "enomem: ok"
