# Guest side of make canaries, after CANARIES (the names to fire, in order):
# each canary is announced on the console ('scx-canary: begin <name>'), where
# scripts/results looks for its detector's report up to the next marker.
# The stalling canaries need CPU 1 online.
fire() {
	echo "scx-canary: begin $1" >/dev/kmsg
	case "$1" in
	rust)
		# The assertion's panic kills insmod with an Oops.
		if insmod /scx_canary_rust.ko; then
			echo "canary rust: the module loaded without a failed assertion"
		fi
		;;
	kmemleak)
		insmod /scx_canary.ko fire=kmemleak
		rmmod scx_canary
		kmemleak_scan "the kmemleak canary"
		;;
	hung_task)
		echo 10 >/proc/sys/kernel/hung_task_timeout_secs
		insmod /scx_canary.ko fire=hung_task spin_ms=60000
		;;
	softlockup)
		insmod /scx_canary.ko fire=softlockup spin_ms=30000
		;;
	*)
		insmod /scx_canary.ko fire="$1"
		rmmod scx_canary
		;;
	esac
	echo "canary $1: returned"
}

. /lib.sh
kmemleak_baseline
for canary in $CANARIES; do
	fire "$canary"
done
