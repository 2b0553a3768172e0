// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side benchmark for one scx_kick_pseqs implementation, driven through
 * its debugfs controls (the Rust module's or the C twin's; both have the
 * same files). For REPS enabled periods it measures:
 *   - MemFree before and after enable (the memory really consumed) and the
 *     module's own byte count,
 *   - VmallocUsed + SUnreclaim before and after enable, with the per-CPU
 *     vmstat counters folded in first: vmalloc pages and slab memory, large
 *     kmallocs included, to the page, where MemFree is too coarse,
 *   - the enable latency (the write to "enable"),
 *   - disable until the memory is back: the write to "disable" until
 *     rcu_frees_pending reads 0 and MemFree is back within 1 % of where it
 *     was (vfree() from an RCU callback defers the unmapping to a workqueue),
 *   - the call_rcu() callbacks queued per disable ("rcu_callbacks"),
 * and, in the first period, the reader's hot path (READER_RUNS runs of
 * READER_OPS operations through "bench_reader") and the round trip of KICKS
 * kicks with wait to another CPU. Prints one JSON object on stdout.
 *
 * Built static on the host (gcc -static) and run from the initramfs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KICKS 200
#define READER_RUNS 11
#define READER_OPS "1000000"

static const char *dir;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s failed\n", what);
	exit(1);
}

static void put(const char *file, const char *text)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

/* A "key: value" line of a file such as stats or /proc/meminfo. */
static long long get(const char *path, const char *key)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die(path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		die(path);
	buf[n] = 0;
	p = strstr(buf, key);
	if (!p)
		die(key);
	return strtoll(p + strlen(key), NULL, 10);
}

static long long stat_of(const char *key)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/stats", dir);
	return get(path, key);
}

static long long memfree_bytes(void)
{
	return get("/proc/meminfo", "MemFree:") * 1024;
}

/* VmallocUsed + SUnreclaim in bytes, per-CPU counter deltas folded in first. */
static long long accounted_bytes(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd < 0 || write(fd, "1", 1) < 0)
		die("/proc/sys/vm/stat_refresh");
	close(fd);
	return (get("/proc/meminfo", "VmallocUsed:") + get("/proc/meminfo", "SUnreclaim:")) * 1024;
}

static void print_list(const char *name, const long long *v, int n, int last)
{
	printf("\"%s\": [", name);
	for (int i = 0; i < n; i++)
		printf("%s%lld", i ? ", " : "", v[i]);
	printf("]%s", last ? "" : ", ");
}

int main(int argc, char **argv)
{
	long long consumed[64], accounted[64], enable_ns[64], disable_ns[64], callbacks[64], kick_ns[KICKS];
	long long reader_ps[READER_RUNS];
	long long bytes = 0, arrays = 0, nr, possible;
	char kick_cmd[32];
	int reps;

	if (argc != 5 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "Usage: bench DIR LABEL REPS KICK_TARGET\n"
				"Benchmarks the implementation whose controls are in DIR.\n");
		return argc == 2 ? 0 : 2;
	}
	dir = argv[1];
	reps = atoi(argv[3]);
	if (reps < 1 || reps > 64)
		die("REPS in 1..64");
	snprintf(kick_cmd, sizeof(kick_cmd), "%s wait", argv[4]);
	nr = stat_of("nr_cpu_ids:");

	for (int r = 0; r < reps; r++) {
		long long a0 = accounted_bytes(), m0 = memfree_bytes(), t0, t1, cb0;

		t0 = now_ns();
		put("enable", "1");
		t1 = now_ns();
		enable_ns[r] = t1 - t0;
		consumed[r] = m0 - memfree_bytes();
		accounted[r] = accounted_bytes() - a0;
		bytes = stat_of("bytes:");
		arrays = stat_of("arrays:");
		if (r == 0) {
			char path[256];

			snprintf(path, sizeof(path), "%s/bench_reader", dir);
			for (int k = 0; k < READER_RUNS; k++) {
				long long ops, ns;
				FILE *f;

				put("bench_reader", READER_OPS);
				f = fopen(path, "r");
				if (!f || fscanf(f, "%lld %lld", &ops, &ns) != 2 || ops <= 0)
					die(path);
				fclose(f);
				reader_ps[k] = ns * 1000 / ops;
			}
			for (int k = 0; k < KICKS; k++) {
				t0 = now_ns();
				put("kick", kick_cmd);
				kick_ns[k] = now_ns() - t0;
			}
		}
		cb0 = stat_of("rcu_callbacks:");
		t0 = now_ns();
		put("disable", "1");
		while (stat_of("rcu_frees_pending:") != 0 ||
		       memfree_bytes() < m0 - (consumed[r] / 100 > (4 << 20) ? consumed[r] / 100 : (4 << 20))) {
			if (now_ns() - t0 > 30000000000LL)
				die("waiting for the memory to come back");
			usleep(100);
		}
		disable_ns[r] = now_ns() - t0;
		callbacks[r] = stat_of("rcu_callbacks:") - cb0;
	}
	possible = arrays;

	printf("{\"impl\": \"%s\", \"nr_cpu_ids\": %lld, \"arrays\": %lld, ", argv[2], nr, possible);
	printf("\"exact_need_bytes\": %lld, \"stats_bytes\": %lld, ", possible * 8 * nr, bytes);
	print_list("memfree_consumed_bytes", consumed, reps, 0);
	print_list("accounted_bytes", accounted, reps, 0);
	print_list("enable_ns", enable_ns, reps, 0);
	print_list("disable_until_freed_ns", disable_ns, reps, 0);
	print_list("rcu_callbacks_per_disable", callbacks, reps, 0);
	print_list("reader_ps_per_op", reader_ps, READER_RUNS, 0);
	print_list("kick_wait_ns", kick_ns, KICKS, 1);
	printf("}\n");
	return 0;
}
