// SPDX-License-Identifier: GPL-2.0
/*
 * ksample: where the kernel spends a step's time, for scripts/bench --profile.
 *
 *   ksample WINDOWS &    ... kill -INT it to stop
 *
 * Samples every CPU's kernel call chain on the cpu-clock software event (perf_event_open(2); the
 * guest's kernels have no high-resolution timers, so a sample per tick, 250 Hz) until SIGINT, then
 * reads WINDOWS, the "@@WIN NAME START END" lines of stepw (CLOCK_MONOTONIC nanoseconds, the
 * write(2) of one step), and prints each sample taken inside a window as "@@FOLD NAME FRAME..."
 * (leaf first, each frame the /proc/kallsyms symbol, with its module as "name[module]"). The
 * guest has no perf tool (no eventfd in its kernels); the comparison is made on the host
 * (tests/bench/profile-compare.py). Built static by scripts/cxl-vm.
 */
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NCPU_MAX 8
#define PAGES (1 + 128)		/* the header page and a power of two */
#define DEPTH 128

struct sym {
	uint64_t addr;
	char *name;
};

static struct sym *syms;
static size_t nsyms;
static uint64_t *raw;		/* per sample: n, time, then n frames */
static size_t nraw, capraw;
static volatile sig_atomic_t stop;

static void on_int(int s)
{
	(void)s;
	stop = 1;
}

static void *grow(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("ksample");
		exit(1);
	}
	return p;
}

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The text symbols of /proc/kallsyms, sorted by address. */
static void load_syms(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[400], mod[100], t;
	unsigned long long a;
	size_t cap = 0;

	while (f && fgets(line, sizeof(line), f)) {
		mod[0] = 0;
		if (sscanf(line, "%llx %c %399s %99s", &a, &t, name, mod) < 3)
			continue;
		if (t != 't' && t != 'T' && t != 'w' && t != 'W')
			continue;
		if (nsyms == cap) {
			cap = cap ? cap * 2 : 65536;
			syms = grow(syms, cap * sizeof(*syms));
		}
		if (mod[0] == '[')
			strcat(name, mod);
		syms[nsyms].addr = a;
		syms[nsyms].name = strdup(name);
		nsyms++;
	}
	if (f)
		fclose(f);
	qsort(syms, nsyms, sizeof(*syms), by_addr);
}

static const char *sym_of(uint64_t ip)
{
	size_t lo = 0, hi = nsyms;

	if (!nsyms || ip < syms[0].addr)
		return "?";
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr <= ip)
			lo = mid;
		else
			hi = mid;
	}
	return syms[lo].name;
}

/* Copies the samples out of one CPU's ring buffer: ip, time, then the call chain. */
static void drain(struct perf_event_mmap_page *pg)
{
	const char *data = (const char *)pg + pg->data_offset;
	uint64_t size = pg->data_size;
	uint64_t head = __atomic_load_n(&pg->data_head, __ATOMIC_ACQUIRE), tail = pg->data_tail;
	static uint64_t rec[(DEPTH + 8) * 2];

	while (tail < head) {
		struct perf_event_header h;
		uint64_t off = tail % size, i;
		char *r = (char *)rec;

		for (i = 0; i < sizeof(h); i++)
			((char *)&h)[i] = data[(off + i) % size];
		for (i = 0; i < h.size && i < sizeof(rec); i++)
			r[i] = data[(off + i) % size];
		if (h.type == PERF_RECORD_SAMPLE && h.size <= sizeof(rec)) {
			const uint64_t *p = (const uint64_t *)(r + sizeof(h));
			uint64_t nr = p[2], n = 1;

			if (nraw + DEPTH + 3 > capraw) {
				capraw = (capraw + DEPTH + 3) * 2;
				raw = grow(raw, capraw * sizeof(*raw));
			}
			raw[nraw + 1] = p[1];
			raw[nraw + 2] = p[0];
			/* The chain repeats the ip and marks contexts with values near -1. */
			for (i = 0; i < nr && n < DEPTH; i++)
				if (p[3 + i] < (uint64_t)-4095 && p[3 + i] != p[0])
					raw[nraw + 2 + n++] = p[3 + i];
			raw[nraw] = n;
			nraw += n + 2;
		}
		tail += h.size;
	}
	__atomic_store_n(&pg->data_tail, tail, __ATOMIC_RELEASE);
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct perf_event_mmap_page *pg[NCPU_MAX];
	struct pollfd pfd[NCPU_MAX];
	struct perf_event_attr attr;
	char line[256], name[64];
	long long a, b;
	size_t i, j;
	FILE *win;
	int c;

	if (argc != 2) {
		fprintf(stderr, "usage: ksample WINDOWS\n");
		return 2;
	}
	signal(SIGINT, on_int);
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.sample_period = 1000000;	/* 1 ms; the tick makes it 4 ms */
	attr.use_clockid = 1;
	attr.clockid = CLOCK_MONOTONIC;
	attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN;
	attr.exclude_user = 1;
	attr.exclude_callchain_user = 1;
	attr.wakeup_events = 16;
	if (ncpu > NCPU_MAX)
		ncpu = NCPU_MAX;
	for (c = 0; c < ncpu; c++) {
		int fd = syscall(SYS_perf_event_open, &attr, -1, c, -1, 0);

		if (fd < 0) {
			perror("ksample: perf_event_open");
			return 1;
		}
		pg[c] = mmap(NULL, PAGES * getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (pg[c] == MAP_FAILED) {
			perror("ksample: mmap");
			return 1;
		}
		pfd[c].fd = fd;
		pfd[c].events = POLLIN;
	}
	while (!stop) {
		poll(pfd, ncpu, 100);
		for (c = 0; c < ncpu; c++)
			drain(pg[c]);
	}
	for (c = 0; c < ncpu; c++) {
		ioctl(pfd[c].fd, PERF_EVENT_IOC_DISABLE, 0);
		drain(pg[c]);
	}
	load_syms();
	/* Each window scans every sample: some 1400 windows by 10^4-10^5 samples, seconds at most. */
	win = fopen(argv[1], "r");
	if (!win) {
		perror("ksample: windows");
		return 1;
	}
	while (fgets(line, sizeof(line), win)) {
		if (sscanf(line, "@@WIN %63s %lld %lld", name, &a, &b) != 3)
			continue;
		for (i = 0; i < nraw; i += raw[i] + 2) {
			long long t = (long long)raw[i + 1];

			if (t < a || t > b)
				continue;
			printf("@@FOLD %s", name);
			for (j = 0; j < raw[i]; j++)
				printf(" %s", sym_of(raw[i + 2 + j]));
			printf("\n");
		}
	}
	fclose(win);
	return 0;
}
