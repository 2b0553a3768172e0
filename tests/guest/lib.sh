# Shared by the guest scripts (installed as /lib.sh, sourced by /guest.sh).
# Every check is a plain command or 'cmd || fail ...': under sh -e a
# '!'-prefixed command or a non-final '&&' never stops the script.
D=/sys/kernel/debug/scx_kick_pseqs
KMEMLEAK=/sys/kernel/debug/kmemleak

fail() {
	echo "guest check failed: $*"
	exit 1
}

# online_count [FILE]: the number of online CPUs, from the ranges in
# /sys/devices/system/cpu/online (or FILE), such as "0-3,5":
# reading each CPU's own file forks once per present CPU, minutes at 8192.
online_count() {
	n=0
	read -r ranges <"${1:-/sys/devices/system/cpu/online}"
	for r in $(echo "$ranges" | tr ',' ' '); do
		case "$r" in
		*-*) n=$((n + ${r#*-} - ${r%-*} + 1)) ;;
		*) n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}

# Fails when the module is still loaded or its debugfs directory remains.
check_unloaded() {
	if grep -q '^scx_kick_pseqs ' /proc/modules; then
		fail "scx_kick_pseqs is still loaded after rmmod"
	fi
	if [ -e "$D" ]; then
		fail "$D is still there after rmmod"
	fi
}

# Whether to scan: not where the host says scans cost too much
# (KMEMLEAK_SCANS=0); where it says the kernel has kmemleak
# (KMEMLEAK_REQUIRED=1), its file must be there; elsewhere, if it is.
kmemleak_present() {
	if [ "${KMEMLEAK_SCANS:-1}" = 0 ]; then
		return 1
	fi
	if [ -e "$KMEMLEAK" ]; then
		return 0
	fi
	if [ "${KMEMLEAK_REQUIRED:-0}" = 1 ]; then
		fail "the kernel has kmemleak but $KMEMLEAK is missing: it disabled itself (see the boot log)"
	fi
	return 1
}

# kmemleak reports an object from the second scan that finds it unreferenced
# and unchanged (the first only records its checksum), and no object younger
# than 5 s: each check scans twice.
kmemleak_scan_twice() {
	echo scan >"$KMEMLEAK"
	echo scan >"$KMEMLEAK"
}

# Where the kernel has kmemleak (its automatic scans are off in the debug
# kernel): report and forget what boot left unreferenced, so that later
# scans report only what came after.
kmemleak_baseline() {
	kmemleak_present || return 0
	kmemleak_scan_twice
	echo clear >"$KMEMLEAK"
	echo "scx-kick-pseqs: kmemleak baseline done" >/dev/kmsg
}

# kmemleak_scan LABEL: the scans; their reports go to the console, where
# scripts/results finds them ('unreferenced object').
kmemleak_scan() {
	kmemleak_present || return 0
	start=$(date +%s)
	sleep 5
	kmemleak_scan_twice
	echo "kmemleak: scanned twice after $1 in $(($(date +%s) - start)) s"
	cat "$KMEMLEAK"
}
