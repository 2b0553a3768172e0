# Guest-side ENOMEM for real, sourced by check.sh where GUEST_ENOMEM=1: pin
# all but ENOMEM_SPARE_MB of free memory in a tmpfs (unreclaimable without
# swap), so the arrays cannot fit; enable must fail with ENOMEM, leave
# nothing behind, and the guest must stay usable. Then release the memory:
# the same guest, now big enough, must enable and disable again.
#
# The arrays fail rather than OOM-kill (__GFP_RETRY_MAYFAIL), but they take
# the free pages down to the watermark first, and those were not back yet
# when this script, in a 7 GiB guest, wrote the 40 bytes of 'write error:
# Cannot allocate memory' to a new tmpfs page: the OOM killer killed it. So
# the error goes into a page allocated before the pinning, and the script
# waits, without forking, for the memory to return.
spare=${ENOMEM_SPARE_MB:-256}
echo "scx_kick_pseqs_none" >/sys/module/kunit/parameters/filter_glob
insmod /scx_kick_pseqs.ko
# Upstream's policy, an array for every possible CPU: the online CPUs' few
# arrays would fit in the spare memory.
echo possible >"$D/policy"

# The error message's page, written in place later ('2<>' does not truncate).
printf '%4096s' '' >/tmp/err
mkdir -p /fill
mount -t tmpfs -o size=100% tmpfs /fill
avail_mb=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) / 1024))
pin=$((avail_mb - spare))
# fallocate reserves the pages without copying zeroes from user space.
fallocate -l "${pin}M" /fill/pinned
echo "enomem: pinned $pin MiB, $(($(awk '/^MemFree:/ { print $2 }' /proc/meminfo) / 1024)) MiB free"

# MemFree in free_kb, with builtins only.
mem_free_kb() {
	free_kb=0
	while read -r key value _; do
		if [ "$key" = MemFree: ]; then
			free_kb=$value
			return 0
		fi
	done </proc/meminfo
}
mem_free_kb
free_before=$free_kb
if echo 1 >"$D/enable" 2<>/tmp/err; then
	fail "enomem: enable succeeded with the memory pinned"
fi
# vmalloc() hands a failed allocation's pages to a work item
# (defer_vm_area_cleanup() in mm/vmalloc.c): until it has run, any
# allocation, even the kernel's for a read of /proc/meminfo, finds no free
# page and calls the OOM killer (seen at 4096 CPUs). So first spin in shell
# arithmetic, which allocates nothing, then read until MemFree is back to
# half what it was before the enable, at most 20000 reads.
i=0
while [ "$i" -lt 50000 ]; do
	i=$((i + 1))
done
tries=0
while [ "$tries" -lt 20000 ]; do
	tries=$((tries + 1))
	mem_free_kb
	[ "$free_kb" -lt $((free_before / 2)) ] || break
done
[ "$free_kb" -ge $((free_before / 2)) ] ||
	fail "enomem: $free_kb kB free $tries reads after the failed enable, $free_before kB before it"
grep -q "Cannot allocate memory" /tmp/err || fail "enomem: enable failed with '$(cat /tmp/err)', not ENOMEM"
echo "enomem: $free_kb kB free again after $tries reads of /proc/meminfo"
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
