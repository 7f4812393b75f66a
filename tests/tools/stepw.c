// SPDX-License-Identifier: GPL-2.0
/*
 * stepw: timed sysfs writes, for the per-step benchmark (scripts/bench --steps).
 *
 *   stepw TAG < STEPS
 *
 * Each line of STEPS is "NAME FILE [VALUE]": open FILE, then write VALUE (or a lone newline when
 * VALUE is absent, which is how a region's targetN is cleared) and time the write(2) alone with
 * CLOCK_MONOTONIC. A line "?NAME FILE TEXT" waits instead (polling every 100 us, up to 60 s) until
 * FILE reads TEXT, and is timed from the end of the line before it: what the kernel finishes
 * after a write returns (kmem onlining memory after a bind). Prints "@@STEP TAG NAME NANOSECONDS"
 * per line, or "@@FAIL TAG NAME errno-text" and exits 1 at the first failing line. One process per cycle: the guest shell would need two
 * forks per step to read a clock finer than /proc/uptime. With STEPW_WINDOWS set to a file, each
 * write's "@@WIN NAME START END" (nanoseconds) is appended to it, for tests/tools/ksample.
 * Built static by scripts/cxl-vm.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Whether FILE reads TEXT (up to a newline) within 60 s of START: 0 when it does. */
static int wait_for(const char *file, const char *text, long long start)
{
	const struct timespec pause = { .tv_nsec = 100000 };
	char buf[256];

	while (now_ns() - start < 60000000000LL) {
		int fd = open(file, O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			if (!strcmp(buf, text))
				return 0;
		}
		nanosleep(&pause, NULL);
	}
	return 1;
}

int main(int argc, char **argv)
{
	char line[4096], name[256], file[2048], value[1024];
	const char *tag = argc > 1 ? argv[1] : "-";
	long long last = now_ns();
	const char *wpath = getenv("STEPW_WINDOWS");
	FILE *windows = wpath ? fopen(wpath, "a") : NULL;

	while (fgets(line, sizeof(line), stdin)) {
		long long t0, t1;
		ssize_t n;
		size_t len;
		int fields, fd;

		value[0] = '\0';
		fields = sscanf(line, "%255s %2047s %1023s", name, file, value);
		if (fields < 2)
			continue;
		if (name[0] == '?') {
			if (wait_for(file, value, last)) {
				printf("@@FAIL %s %s %s never read %s\n", tag, name + 1, file, value);
				return 1;
			}
			t1 = now_ns();
			printf("@@STEP %s %s %lld\n", tag, name + 1, t1 - last);
			fflush(stdout);
			last = t1;
			continue;
		}
		len = strlen(value);
		if (!len) {
			value[0] = '\n';
			value[1] = '\0';
			len = 1;
		}
		fd = open(file, O_WRONLY);
		if (fd < 0) {
			printf("@@FAIL %s %s open %s: %s\n", tag, name, file, strerror(errno));
			return 1;
		}
		t0 = now_ns();
		n = write(fd, value, len);
		t1 = now_ns();
		if (n < 0) {
			printf("@@FAIL %s %s write %s: %s\n", tag, name, file, strerror(errno));
			close(fd);
			return 1;
		}
		close(fd);
		last = t1;
		if (windows)
			fprintf(windows, "@@WIN %s %lld %lld\n", name, t0, t1);
		printf("@@STEP %s %s %lld\n", tag, name, t1 - t0);
		fflush(stdout);
	}
	return 0;
}
