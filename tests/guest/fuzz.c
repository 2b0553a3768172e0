// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side fuzzer for the control files in /sys/kernel/debug/scx_kick_pseqs:
 * writes COUNT malformed inputs to each file (empty, too long, binary,
 * negative, overflowing, out-of-range CPUs, trailing garbage, near misses)
 * and checks that every write fails with the documented error and that the
 * state and stats read the same afterwards. Inputs that happen to be valid
 * are skipped, so nothing is ever enabled, disabled or kicked.
 *
 * Built static on the host (gcc -static) and run from the initramfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INPUT 32

static const char *const files[] = { "enable", "disable", "kick", "layout", "policy",
				     "bench_reader", "state", "stats" };

static unsigned long long rng = 88172645463325252ULL;

static unsigned long long next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Is buf[0..len) a decimal number of at most max? Sets *value if so. */
static int decimal(const char *buf, size_t len, unsigned long long max, unsigned long long *value)
{
	*value = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return 0;
		*value = *value * 10 + (unsigned long long)(buf[i] - '0');
		if (*value > max)
			return 0;
	}
	return len > 0;
}

/* The module's grammar: is this a write the file would accept? */
static int valid(const char *file, const char *buf, size_t len, unsigned long nr_cpu_ids)
{
	unsigned long long v;

	if (len && buf[len - 1] == '\n')
		len--;
	if (!strcmp(file, "enable") || !strcmp(file, "disable"))
		return len == 1 && buf[0] == '1';
	if (!strcmp(file, "layout"))
		return (len == 8 && !memcmp(buf, "kvzalloc", 8)) || (len == 6 && !memcmp(buf, "packed", 6));
	if (!strcmp(file, "policy"))
		return (len == 6 && !memcmp(buf, "online", 6)) || (len == 8 && !memcmp(buf, "possible", 8));
	if (!strcmp(file, "bench_reader"))
		return decimal(buf, len, 10000000ULL, &v) && v > 0;
	if (strcmp(file, "kick"))
		return 0;
	if (len > 5 && !memcmp(buf + len - 5, " wait", 5))
		len -= 5;
	return decimal(buf, len, 0xffffffffULL, &v) && v < nr_cpu_ids;
}

/* One malformed input of class @n % 9. */
static size_t generate(unsigned int n, char *buf, size_t size, unsigned long nr_cpu_ids)
{
	size_t len, i;

	switch (n % 9) {
	case 0: /* empty */
		return 0;
	case 1: /* longer than any control file takes */
		len = MAX_INPUT + 1 + next() % (size - MAX_INPUT - 1);
		for (i = 0; i < len; i++)
			buf[i] = (char)('0' + next() % 10);
		return len;
	case 2: /* binary */
		len = 1 + next() % MAX_INPUT;
		for (i = 0; i < len; i++)
			buf[i] = (char)next();
		return len;
	case 3: /* negative */
		return (size_t)snprintf(buf, size, "-%llu", next() % 100000);
	case 4: /* overflowing */
		return (size_t)snprintf(buf, size, "%llu%llu", 4294967296ULL + next() % 1000, next() % 10);
	case 5: /* CPU out of range */
		return (size_t)snprintf(buf, size, "%llu%s", nr_cpu_ids + next() % 100000,
					next() % 2 ? " wait" : "");
	case 6: /* trailing garbage */
		return (size_t)snprintf(buf, size, "%llu%s", next() % nr_cpu_ids,
					(const char *[]){ "x", " wai", " wait!", "\n\n", " 1", "\t" }[next() % 6]);
	case 7: /* near misses */
		return (size_t)snprintf(buf, size, "%s",
					(const char *[]){ " 1", "1 ", "+1", "0x1", "one", "2", "0", "1\r\n",
							  "wait", " wait", "1  wait", "1 WAIT", "Packed",
							  "packed ", "kvzalloc\n\n", "pack", "vmalloc",
							  "10000001" }[next() % 18]);
	default: /* a NUL in the middle */
		len = (size_t)snprintf(buf, size, "1%c%llu", 0, next() % 10);
		return len;
	}
}

static int slurp(const char *dir, const char *file, char *out, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, out, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = 0;
	return 0;
}

int main(int argc, char **argv)
{
	char state0[64], state1[64], stats0[512], stats1[512], buf[4096], path[256];
	unsigned long count, nr_cpu_ids;
	int bad = 0;

	if (argc != 4 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "Usage: fuzz DIR COUNT NR_CPU_IDS\n"
				"Writes COUNT malformed inputs to each control file in DIR.\n");
		return argc == 2 ? 0 : 2;
	}
	count = strtoul(argv[2], NULL, 10);
	nr_cpu_ids = strtoul(argv[3], NULL, 10);
	rng ^= (unsigned long long)getpid() << 32;
	if (slurp(argv[1], "state", state0, sizeof(state0)) ||
	    slurp(argv[1], "stats", stats0, sizeof(stats0))) {
		fprintf(stderr, "fuzz: cannot read %s/state or stats\n", argv[1]);
		return 1;
	}

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		/* Writable files say EINVAL; read-only ones have no write op (EINVAL too). */
		unsigned long rejected = 0, accepted = 0, wrong = 0, skipped = 0, written = 0;

		snprintf(path, sizeof(path), "%s/%s", argv[1], files[f]);
		for (unsigned int i = 0; written < count; i++) {
			size_t len = generate(i, buf, sizeof(buf), nr_cpu_ids);
			ssize_t n;
			int fd;

			if (valid(files[f], buf, len, nr_cpu_ids)) {
				skipped++;
				continue;
			}
			fd = open(path, O_WRONLY);
			if (fd < 0) {
				fprintf(stderr, "fuzz: open %s: %s\n", path, strerror(errno));
				return 1;
			}
			n = write(fd, buf, len);
			written++;
			if (n < 0 && errno == EINVAL)
				rejected++;
			else if (n <= 0 && len == 0)
				rejected++; /* a zero-length write never reaches the module */
			else if (n >= 0)
				accepted++;
			else
				wrong++;
			close(fd);
		}
		printf("fuzz: %s: %lu writes, %lu rejected, %lu accepted, %lu other errors, %lu valid skipped\n",
		       files[f], written, rejected, accepted, wrong, skipped);
		bad |= accepted || wrong;
	}

	if (slurp(argv[1], "state", state1, sizeof(state1)) ||
	    slurp(argv[1], "stats", stats1, sizeof(stats1)))
		return 1;
	if (strcmp(state0, state1) || strcmp(stats0, stats1)) {
		printf("fuzz: state or stats changed:\n%s%s---\n%s%s", state0, stats0, state1, stats1);
		bad = 1;
	}
	printf("fuzz: %s\n", bad ? "FAILED" : "ok, nothing changed");
	return bad;
}
