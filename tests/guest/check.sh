# Guest side of 'make check', after the scenario's INSMOD_ARGS, GUEST_STRESS,
# GUEST_KICK_RACE, GUEST_ENOMEM and GUEST_HOTPLUG: loading the module runs its KUnit suites (their KTAP goes to
# the console, after the marker scripts/results looks for); then unload it,
# make sure nothing is left behind (kmemleak scans after the unload), and
# run the guest-side extras if asked.
. /lib.sh
kmemleak_baseline
echo "scx-kick-pseqs: ktap-begin insmod" >/dev/kmsg
# shellcheck disable=SC2086 # INSMOD_ARGS holds several parameters.
insmod /scx_kick_pseqs.ko $INSMOD_ARGS
rmmod scx_kick_pseqs
check_unloaded
kmemleak_scan "the KUnit suites and rmmod"
if [ "${GUEST_STRESS:-0}" = 1 ]; then
	. /stress.sh
fi
if [ "${GUEST_KICK_RACE:-0}" = 1 ]; then
	. /kick_race.sh
fi
if [ "${GUEST_ENOMEM:-0}" = 1 ]; then
	. /enomem.sh
fi
if [ "${GUEST_HOTPLUG:-0}" = 1 ]; then
	. /hotplug.sh
fi
kmemleak_scan "the guest-side extras"
