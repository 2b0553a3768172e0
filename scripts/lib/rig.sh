# Shared by the scripts in scripts/: messages, the pinned toolchain, the
# kernel cache and its lock, and cleanup of every process a script started.
# Source it after setting PROG (the name messages carry):
#   PROG=check; . "$TOP/scripts/lib/rig.sh"

# shellcheck disable=SC2034 # the variables are for the scripts that source this
: "${PROG:?set PROG before sourcing rig.sh}"
: "${TOP:?set TOP before sourcing rig.sh}"

say() { echo "$PROG: $*" >&2; }
# RIG_DIE_STATUS: scripts whose own exit status carries a verdict (scripts/vm)
# die with a status no verdict uses.
die() { echo "$PROG: error: $*" >&2; exit "${RIG_DIE_STATUS:-1}"; }

# need_tool TOOL [HINT]: dies naming TOOL when it is not on PATH.
need_tool() {
	command -v "$1" >/dev/null || die "'$1' is missing: ${2:-run 'make setup'}"
}

# The pinned toolchain (scripts/lib/toolchain.env). rustup picks the pinned
# rustc for every kernel and module build started from here.
# shellcheck source=scripts/lib/toolchain.env
. "$TOP/scripts/lib/toolchain.env"
export PATH=$HOME/.cargo/bin:$PATH
# Your own kernel (KDIR) keeps whatever rustc you have chosen.
if [ -z "${KDIR:-}" ]; then
	export RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-$RUST_TOOLCHAIN}
fi
LLVM_SUFFIX=${LLVM:-$LLVM_SUFFIX}

# One line naming every tool whose version changes a kernel build; fails
# naming the tool that does not answer.
toolchain_id() {
	local rustc bindgen clang
	rustc=$(rustc --version) || die "rustc $RUSTUP_TOOLCHAIN does not run: run 'make setup'"
	bindgen=$(bindgen --version) || die "bindgen does not run: run 'make setup'"
	clang=$(clang"$LLVM_SUFFIX" --version | head -n1) || die "clang$LLVM_SUFFIX does not run: run 'make setup'"
	printf '%s; %s; %s\n' "$rustc" "$bindgen" "$clang"
}

# rust_toolchain_of KDIR: the rustup toolchain that compiled that kernel's
# Rust ("rustc 1.99.1 (58cf8f9c3 2026-10-13)" -> 1.99.1).
rust_toolchain_of() {
	sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="rustc \([^ ]*\) .*/\1/p' "$1/.config"
}

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/scx-kick-pseqs

# cache_lock [NAME]: takes a lock of the kernel cache (exclusive) on fd 9,
# waiting with a message while another run holds it; released when the script
# exits. Kernel builds share .lock; scripts/stock, whose chroot no kernel
# build touches, takes its own.
cache_lock() {
	local lock=$CACHE/${1:-.lock}
	mkdir -p "$CACHE"
	exec 9>"$lock"
	if ! flock -n 9; then
		say "waiting for the cache lock $lock held by another run"
		flock 9
	fi
}

# kill_tree: stops every process this script started (QEMU under timeout
# runs in its own process group, so a terminal's Ctrl-C alone misses it).
# The descendants of this shell come from one snapshot of the process table,
# taken before anything is signalled.
kill_tree() {
	local table pids
	table=$(ps -e -o pid=,ppid=)
	pids=$(awk -v root=$$ '
		{ parent[$1] = $2 }
		END {
			for (p in parent) {
				for (q = parent[p]; q > 1; q = parent[q])
					if (q == root) { print p; break }
			}
		}' <<<"$table")
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086 # a list of PIDs
	kill -TERM $pids 2>/dev/null || true
	sleep 1
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
}

# on_interrupt: Ctrl-C or SIGTERM stops every child and exits 130/143.
# Long waits in scripts use 'cmd & wait $!' so that the trap runs at once.
on_interrupt() {
	trap 'say "interrupted: stopping every process it started"; trap - INT TERM HUP; kill_tree; exit 130' INT
	trap 'say "terminated: stopping every process it started"; trap - INT TERM HUP; kill_tree; exit 143' TERM
	trap 'say "hung up: stopping every process it started"; trap - INT TERM HUP; kill_tree; exit 129' HUP
}

# The detectors' thresholds for every guest of make check and make mutants:
# long enough that TCG on two shared cores does not trip them, short enough
# to report before the guest's timeout. Soft lockups panic after twice
# watchdog_thresh (120 s), hung tasks after 300 s (tests/kernel-debug.config),
# a workqueue stalled for 120 s is reported, a csd lock after 30 s.
DETECTOR_ARGS="watchdog_thresh=60 workqueue.watchdog_thresh=120 smp.csd_lock_timeout=30000"

# kmemleak_required KDIR: 1 when that kernel was built with kmemleak, so that
# the guest fails when kmemleak has disabled itself (tests/guest/lib.sh).
kmemleak_required() {
	if grep -qx 'CONFIG_DEBUG_KMEMLEAK=y' "$1/.config" 2>/dev/null; then echo 1; else echo 0; fi
}
