# Guest side of 'make run': load the module, enable, show what was
# allocated, kick with and without wait, disable, unload. Lines starting with
# "report:" make up the report that scripts/run prints.
D=/sys/kernel/debug/scx_kick_pseqs
report() { echo "report: $*"; }
memfree_kb() { awk '/^MemFree:/ { print $2 }' /proc/meminfo; }
show_stats() { sed 's/^/report:     /' "$D/stats"; }
try_kick() {
	if echo "$1" >"$D/kick" 2>/tmp/err; then
		report "  kick '$1': ok"
	else
		report "  kick '$1': refused ($(sed 's/.*: //' /tmp/err))"
	fi
}

insmod /scx_kick_pseqs.ko
report "possible CPUs $(cat /sys/devices/system/cpu/possible), online $(cat /sys/devices/system/cpu/online)"
report "loaded; state: $(cat "$D/state")"
before=$(memfree_kb)
echo 1 >"$D/enable"
after=$(memfree_kb)
report "enabled; state: $(cat "$D/state")"
show_stats
report "  MemFree fell by $(((before - after) / 1024)) MiB"
if echo 1 >"$D/enable" 2>/dev/null; then
	report "  second enable: accepted (unexpected)"
	exit 1
fi
report "  second enable: refused (EBUSY), arrays untouched"
try_kick 1
try_kick "1 wait"
try_kick "0 wait"
last=$(($(cat /sys/devices/system/cpu/possible | sed 's/.*-//') + 0))
try_kick "$last wait"
if [ "$(cat /sys/devices/system/cpu/cpu1/online 2>/dev/null)" = 1 ]; then
	echo 0 >/sys/devices/system/cpu/cpu1/online
	report "  CPU 1 offline: $(grep '^arrays:' "$D/stats"), $(grep '^cpus_up:' "$D/stats")"
	echo 1 >/sys/devices/system/cpu/cpu1/online
	report "  CPU 1 online again: $(grep '^arrays:' "$D/stats"), $(grep '^cpus_up:' "$D/stats")"
fi
echo 1 >"$D/disable"
report "disabled; state: $(cat "$D/state")"
show_stats
sleep 1
report "  one second later (RCU frees done):"
show_stats
report "  MemFree back to $(((before - $(memfree_kb)) / 1024)) MiB below the start"
echo possible >"$D/policy"
before=$(memfree_kb)
echo 1 >"$D/enable"
after=$(memfree_kb)
report "policy possible (upstream's), enabled: $(grep '^arrays:' "$D/stats"), $(grep '^bytes:' "$D/stats")"
report "  MemFree fell by $(((before - after) / 1024)) MiB"
echo 1 >"$D/disable"
report "disabled"
rmmod scx_kick_pseqs
if [ -e "$D" ] || grep -q '^scx_kick_pseqs ' /proc/modules; then
	report "module or its debugfs directory still there after rmmod"
	exit 1
fi
report "unloaded; debugfs directory removed"
