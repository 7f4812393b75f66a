// SPDX-License-Identifier: GPL-2.0
/*
 * daxtest: the guest's proof that a device-dax device is memory.
 *
 *   daxtest /dev/daxX.Y BYTES
 *
 * Maps BYTES of the device (shared, as device-dax requires), writes a pattern that differs on
 * every page and every run into eight words of each page, then reads all of it back. Prints
 * "ok PAGES pages" and exits 0, or the first mismatch (or failing call) and exits 1. Built
 * static by scripts/cxl-vm: the guest has no compiler.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS_PER_PAGE 8

static uint64_t pattern(uint64_t seed, uint64_t page, unsigned int word)
{
	return seed ^ (page * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)word << 56);
}

int main(int argc, char **argv)
{
	unsigned long long bytes;
	uint64_t seed, page, pages;
	volatile uint64_t *p;
	unsigned int w;
	char *end;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s /dev/daxX.Y BYTES\n", argv[0]);
		return 2;
	}
	bytes = strtoull(argv[2], &end, 0);
	if (*end || !bytes || bytes % PAGE) {
		fprintf(stderr, "daxtest: bad size %s\n", argv[2]);
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "daxtest: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "daxtest: mmap %s %llu: %s\n", argv[1], bytes, strerror(errno));
		return 1;
	}
	seed = (uint64_t)time(NULL) * 0x100000001b3ULL ^ (uint64_t)getpid();
	pages = bytes / PAGE;
	for (page = 0; page < pages; page++)
		for (w = 0; w < WORDS_PER_PAGE; w++)
			p[(page * PAGE + w * (PAGE / WORDS_PER_PAGE)) / 8] = pattern(seed, page, w);
	for (page = 0; page < pages; page++) {
		for (w = 0; w < WORDS_PER_PAGE; w++) {
			uint64_t got = p[(page * PAGE + w * (PAGE / WORDS_PER_PAGE)) / 8];

			if (got != pattern(seed, page, w)) {
				fprintf(stderr, "daxtest: page %llu word %u: %#llx, wrote %#llx\n",
					(unsigned long long)page, w, (unsigned long long)got,
					(unsigned long long)pattern(seed, page, w));
				return 1;
			}
		}
	}
	munmap((void *)p, bytes);
	close(fd);
	printf("ok %llu pages\n", (unsigned long long)pages);
	return 0;
}
