# Guest side of 'make check': loading the module runs its KUnit suites (their
# KTAP goes to the console, after the marker scripts/results looks for); then
# unload it and make sure nothing is left behind.
echo "scx-kick-pseqs: ktap-begin insmod" >/dev/kmsg
insmod /scx_kick_pseqs.ko
rmmod scx_kick_pseqs
! grep -q '^scx_kick_pseqs ' /proc/modules
