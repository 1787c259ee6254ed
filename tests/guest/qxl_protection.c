// SPDX-License-Identifier: GPL-2.0
/*
 * test_memcg_protection() of tools/testing/selftests/cgroup/test_memcontrol.c
 * replayed on qxl VRAM through TTM, scaled by 1/20 to fit qxl's 16 MiB:
 *
 *   A       max = 10M
 *   A/B     min = 2.5M
 *   A/B/C   min = 3.75M   current = 2.5M
 *   A/B/D   min = 1.25M   current = 2.5M
 *   A/B/E   min = 0       current = 2.5M
 *   A/B/F   min = 25M     current = 0
 *   A/G     allocates 8M: A goes over its max and TTM evicts within A.
 *
 * memcg expects B ~= 50M, C ~= 29M, D ~= 21M, E ~= 0, F = 0 (scaled: 2.5M,
 * 1.45M, 1.05M, 0, 0), within 15% for C and 20% for D. TTM evicts buffers
 * in LRU order rather than reclaiming proportionally, which settles at
 * C = D = 1.25M, inside those tolerances. The same is then run with low
 * instead of min. Static binary run in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/qxl_drm.h>

#include "drmcg_qxl.h"

#define CG "/sys/fs/cgroup"
#define KB 1024LL
#define MB (1024LL * 1024)
#define BO (64 * KB)
#define UNITS(bytes) ((int)((bytes) / BO))

static char vram[128];

/* put() on the file @file of cgroup @cg (relative to CG). */
static int put_cg(const char *cg, const char *file, const char *fmt, ...)
{
	char path[256], buf[256];
	va_list ap;
	int fd, len, ret;

	snprintf(path, sizeof(path), "%s/%s/%s", CG, cg, file);
	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, buf, len) == len ? 0 : -errno;
	close(fd);
	return ret;
}

static long long current(const char *cg)
{
	char path[256], buf[4096], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/drm.current", CG, cg);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, vram);
	return p ? atoll(p + strlen(vram) + 1) : -1;
}

/* memcg's values_close(): |a - b| <= (a + b) / 100 * err */
static int close_to(long long a, long long b, int err)
{
	return llabs(a - b) <= (a + b) / 100 * err;
}

static unsigned int alloc_bo(int fd)
{
	struct drm_qxl_alloc a = { .size = BO };

	return ioctl(fd, DRM_IOCTL_QXL_ALLOC, &a) ? 0 : a.handle;
}

static void run(int fd, const char *knob)
{
	static const char *const leaves[] = { "A/B/C", "A/B/D", "A/B/E" };
	unsigned int handles[512];
	int n = 0, i, j;
	long long b, c, d, e, f;

	printf("-- %s\n", knob);
	check(mkdir(CG "/A", 0755) == 0, "mkdir A");
	check(put_cg("A", "cgroup.subtree_control", "+drm") == 0, "A +drm");
	check(mkdir(CG "/A/B", 0755) == 0 && mkdir(CG "/A/G", 0755) == 0, "mkdir B G");
	check(put_cg("A/B", "cgroup.subtree_control", "+drm") == 0, "B +drm");
	for (i = 0; i < 3; i++) {
		char path[64];

		snprintf(path, sizeof(path), "%s/%s", CG, leaves[i]);
		check(mkdir(path, 0755) == 0, "mkdir %s", leaves[i]);
	}
	check(mkdir(CG "/A/B/F", 0755) == 0, "mkdir F");
	check(put_cg("A", "drm.max", "%s 10M", vram) == 0, "A max");
	check(put_cg("A/B", knob, "%s 2560K", vram) == 0, "B %s", knob);
	check(put_cg("A/B/C", knob, "%s 3840K", vram) == 0, "C %s", knob);
	check(put_cg("A/B/D", knob, "%s 1280K", vram) == 0, "D %s", knob);
	check(put_cg("A/B/E", knob, "%s 0", vram) == 0, "E %s", knob);
	check(put_cg("A/B/F", knob, "%s 25M", vram) == 0, "F %s", knob);

	/* C, D and E allocate 2.5M each, interleaved. */
	for (j = 0; j < UNITS(2560 * KB); j++) {
		for (i = 0; i < 3; i++) {
			check(put_cg(leaves[i], "cgroup.procs", "%d", getpid()) == 0, "move");
			handles[n] = alloc_bo(fd);
			check(handles[n] != 0, "alloc in %s", leaves[i]);
			n++;
		}
	}
	check(current("A/B") == 7680 * KB, "B before pressure: %lld", current("A/B"));

	/* Pressure from G, a sibling of B. */
	check(put_cg("A/G", "cgroup.procs", "%d", getpid()) == 0, "move to G");
	for (j = 0; j < UNITS(8 * MB); j++) {
		handles[n] = alloc_bo(fd);
		check(handles[n] != 0, "alloc in G");
		n++;
	}
	b = current("A/B");
	c = current("A/B/C");
	d = current("A/B/D");
	e = current("A/B/E");
	f = current("A/B/F");
	printf("A %lld, B %lld, C %lld, D %lld, E %lld, F %lld, G %lld\n",
	       current("A"), b, c, d, e, f, current("A/G"));
	check(current("A") <= 10 * MB, "A over its max");
	check(close_to(b, 2560 * KB, 10), "B: %lld, expected ~2.5M", b);
	check(close_to(c, 29 * MB / 20, 15), "C: %lld, expected ~1.45M", c);
	check(close_to(d, 21 * MB / 20, 20), "D: %lld, expected ~1.05M", d);
	check(e == 0, "E: %lld, expected 0", e);
	check(f == 0, "F: %lld, expected 0", f);

	put_cg("", "cgroup.procs", "%d", getpid());
	for (i = 0; i < n; i++) {
		struct drm_gem_close cl = { .handle = handles[i] };

		check(ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl) == 0, "close");
	}
	check(current("A") == 0, "A after free: %lld", current("A"));
	rmdir(CG "/A/B/C");
	rmdir(CG "/A/B/D");
	rmdir(CG "/A/B/E");
	rmdir(CG "/A/B/F");
	rmdir(CG "/A/B");
	rmdir(CG "/A/G");
	check(rmdir(CG "/A") == 0, "rmdir A");
}

int main(void)
{
	char card[64];
	int fd;

	fd = qxl_open(card, sizeof(card));
	if (fd < 0)
		return 1;
	snprintf(vram, sizeof(vram), "%s/vram0", card);

	run(fd, "drm.min");
	run(fd, "drm.low");
	close(fd);
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: qxl protection\n");
	return 0;
}
