// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of scripts/bench.sh's TTM part: buffer create+free per second
 * end to end through TTM, on the drm cgroup test device
 * (CONFIG_DRM_DRMCG_TEST), with its regions accounted by no controller, by
 * dmem only, by the drm controller only and by both
 * (drmcg_test_dev.cgroups, applied by rebinding the device).
 *
 * One pair is DRM_IOCTL_DRMCG_TEST_CREATE of a buffer in tile0 and
 * DRM_IOCTL_GEM_CLOSE of its handle, from a task in a cgroup at depth 1 or
 * 4 (drm and dmem enabled on every level in every mode, so that only the
 * device's registration differs). Each loop is sized once, in the first
 * mode, to run TTM_BENCH_MS milliseconds (default 50); then five
 * rounds each rebind the device in every mode in turn and run every loop
 * once, so that a drift of the machine's speed hits all modes alike. The
 * table shows the median of the five per mode, in buffers per second, and
 * each mode's overhead over "none": how much longer a pair takes, in
 * percent. With CONFIG_CGROUP_DRM, TTM records the creating task's drm
 * cgroup on every buffer whether or not a region is accounted, so "none"
 * includes taking and dropping that reference. Figures, never a pass/fail
 * verdict: it exits non-zero only if the setup fails or a mode does not
 * charge what it should.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include "drmcg_find.h"
#include "drmcg_test_drm.h"

#define CG "/sys/fs/cgroup"
#define PARAMS "/sys/module/drmcg_test_dev/parameters"
#define PLATFORM_DRIVER "/sys/bus/platform/drivers/drmcg_test"
#define DRIVER "drmcg_test"

#define REPS 5
#define NMODES 4
#define NDEPTHS 2
#define NSIZES 2

static const char *const modes[NMODES] = { "none", "dmem", "drm", "both" };
static const int depths[NDEPTHS] = { 1, 4 };
static const long long sizes[NSIZES] = { 64 << 10, 4 << 20 };
static const char *const size_names[NSIZES] = { "64K", "4M" };
/* The leaf cgroup of each depth. */
static const char *const leaves[NDEPTHS] = {
	CG "/ttm1", CG "/ttm4/l2/l3/l4",
};

static void die(const char *fmt, const char *arg)
{
	printf("FAIL: ");
	printf(fmt, arg);
	printf(" (%s)\n", strerror(errno));
	exit(1);
}

/* Writes @val to @path in one write(): 0 or -1. */
static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t len = strlen(val);
	int ret;

	if (fd < 0)
		return -1;
	ret = write(fd, val, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

/* The value of the line "@key <value>" of @path, or -1. */
static long long get(const char *path, const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ' ') {
			v = strtoll(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Opens the test device's card, or exits. */
static int open_device(void)
{
	int fd = drm_find_driver(DRIVER, NULL, 0);

	if (fd < 0)
		die("no %s device", DRIVER);
	return fd;
}

/* Binds the device again with its regions accounted as @mode says. */
static void rebind(const char *mode)
{
	if (put(PARAMS "/cgroups", mode))
		die("cannot set cgroups=%s", mode);
	/* Not bound yet the first time round: ignore the error. */
	put(PLATFORM_DRIVER "/unbind", DRIVER);
	if (put(PLATFORM_DRIVER "/bind", DRIVER))
		die("cannot bind in mode %s", mode);
}

static void enter(const char *cg)
{
	char path[256], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (put(path, pid))
		die("cannot move to %s", cg);
}

static unsigned int create(int fd, long long size)
{
	struct drm_drmcg_test_create c = {
		.size = size, .domains = DRMCG_TEST_DOMAIN_TILE0,
	};

	if (ioctl(fd, DRM_IOCTL_DRMCG_TEST_CREATE, &c)) {
		printf("FAIL: %s %lld: %s\n", __func__, size, strerror(errno));
		exit(1);
	}
	return c.handle;
}

static void release(int fd, unsigned int handle)
{
	struct drm_gem_close cl = { .handle = handle };

	if (ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl)) {
		printf("FAIL: GEM_CLOSE: %s\n", strerror(errno));
		exit(1);
	}
}

/* Runs @n create+free pairs: the nanoseconds they took. */
static long long loop(int fd, long long size, long n)
{
	long long t0 = now_ns();
	long i;

	for (i = 0; i < n; i++)
		release(fd, create(fd, size));
	return now_ns() - t0;
}

/*
 * How many pairs take @target ns, from the fastest of three loops of 256
 * pairs: a stall of the host while sizing only makes a loop slower.
 */
static long pairs_for(int fd, long long size, long long target)
{
	long long t, best = 0;
	int i;

	for (i = 0; i < 3; i++) {
		t = loop(fd, size, 256);
		if (!best || t < best)
			best = t;
	}
	return target * 256 / (best ? best : 1) + 1;
}

/*
 * Checks that a buffer of @mode's device is charged where it should be:
 * in @leaf's drm.current and dmem.current exactly for the controllers that
 * account the regions.
 */
static void check_mode(int fd, int mode, const char *leaf)
{
	int want_drm = mode >= 2, want_dmem = mode & 1;
	char path[256];
	long long drm, dmem;
	unsigned int h;

	h = create(fd, 1 << 20);
	snprintf(path, sizeof(path), "%s/drm.current", leaf);
	drm = get(path, DRIVER "/tile0");
	snprintf(path, sizeof(path), "%s/dmem.current", leaf);
	dmem = get(path, "drm/" DRIVER "/tile0");
	release(fd, h);
	if ((want_drm ? drm != 1 << 20 : drm > 0) ||
	    (want_dmem ? dmem != 1 << 20 : dmem > 0)) {
		printf("FAIL: mode %s: drm.current %lld, dmem.current %lld for a 1 MiB buffer\n",
		       modes[mode], drm, dmem);
		exit(1);
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	/* Nanoseconds per pair of each round. */
	static long long ns[NMODES][NDEPTHS][NSIZES][REPS];
	static long iters[NDEPTHS][NSIZES];
	long long target = 50, med[NMODES][NDEPTHS][NSIZES];
	const char *env = getenv("TTM_BENCH_MS");
	struct utsname u;
	int m, d, s, r;

	if (env && atoll(env) > 0)
		target = atoll(env);
	target *= 1000000;

	if (access(PARAMS "/cgroups", W_OK))
		die("no %s", PARAMS "/cgroups");
	if (put(CG "/cgroup.subtree_control", "+drm +dmem"))
		die("cannot enable drm and dmem in %s", CG);
	if (mkdir(CG "/ttm1", 0755) || mkdir(CG "/ttm4", 0755) ||
	    put(CG "/ttm4/cgroup.subtree_control", "+drm +dmem") ||
	    mkdir(CG "/ttm4/l2", 0755) ||
	    put(CG "/ttm4/l2/cgroup.subtree_control", "+drm +dmem") ||
	    mkdir(CG "/ttm4/l2/l3", 0755) ||
	    put(CG "/ttm4/l2/l3/cgroup.subtree_control", "+drm +dmem") ||
	    mkdir(CG "/ttm4/l2/l3/l4", 0755))
		die("cannot create the cgroups%s", "");

	for (r = 0; r < REPS; r++) {
		for (m = 0; m < NMODES; m++) {
			int fd;

			rebind(modes[m]);
			fd = open_device();
			for (d = 0; d < NDEPTHS; d++) {
				enter(leaves[d]);
				if (r == 0)
					check_mode(fd, m, leaves[d]);
				for (s = 0; s < NSIZES; s++) {
					long n = iters[d][s];

					/* Warm: the pools exist, the caches are hot. */
					loop(fd, sizes[s], 64);
					if (!n) {
						n = pairs_for(fd, sizes[s], target);
						iters[d][s] = n;
					}
					ns[m][d][s][r] = loop(fd, sizes[s], n) / n;
				}
			}
			enter(CG);
			close(fd);
		}
	}
	/* Leave the device as the guest tests expect it. */
	rebind("drm");

	for (m = 0; m < NMODES; m++)
		for (d = 0; d < NDEPTHS; d++)
			for (s = 0; s < NSIZES; s++) {
				qsort(ns[m][d][s], REPS, sizeof(long long), cmp_ll);
				med[m][d][s] = ns[m][d][s][REPS / 2];
			}

	uname(&u);
	printf("machine: %ld vCPU, Linux %s\n", sysconf(_SC_NPROCESSORS_ONLN),
	       u.release);
	printf("TTM buffer create+free (tile0), buffers/s, median of %d rounds of ~%lld ms; overhead over none\n",
	       REPS, target / 1000000);
	printf("%-20s %8s %8s %8s %8s %7s %7s %7s\n", "workload",
	       "none", "dmem", "drm", "both", "dmem", "drm", "both");
	for (d = 0; d < NDEPTHS; d++)
		for (s = 0; s < NSIZES; s++) {
			char w[32];

			snprintf(w, sizeof(w), "%s, depth %d", size_names[s],
				 depths[d]);
			printf("%-20s", w);
			for (m = 0; m < NMODES; m++)
				printf(" %8lld", 1000000000LL / med[m][d][s]);
			for (m = 1; m < NMODES; m++)
				printf(" %+6.1f%%", 100.0 *
				       (med[m][d][s] - med[0][d][s]) /
				       med[0][d][s]);
			printf("\n");
		}
	printf("ns per pair (median):\n");
	for (d = 0; d < NDEPTHS; d++)
		for (s = 0; s < NSIZES; s++) {
			printf("%-4s depth %d, %7ld pairs/round:", size_names[s],
			       depths[d], iters[d][s]);
			for (m = 0; m < NMODES; m++)
				printf(" %s %lld", modes[m], med[m][d][s]);
			printf("\n");
		}
	return 0;
}
