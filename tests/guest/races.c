// SPDX-License-Identifier: GPL-2.0
/*
 * The slow paths under races, on 2 vCPUs, through the test interface
 * (debugfs drm_cgroup/ctl, CONFIG_CGROUP_DRM_TEST_HELPER):
 *
 *  first   hundreds of fresh cgroups: two tasks charge their first buffer at
 *          the same moment, a third sets drm.max, a fourth charges from a
 *          child cgroup created meanwhile; every counter must be exact
 *  unreg   first limit writes in fresh cgroups (pool creation) while the
 *          region is unregistered: each lands or fails with ENODEV, and every
 *          pool is freed once the cgroups are removed
 *  cycles  register/unregister cycles of a region with charges in nested
 *          cgroups, the root included: the live-pool count and unreclaimable
 *          slab return to where they started
 *  peak    a drm.peak file reset in a region, read after another region got
 *          the same slot: it reports the new region's peak only
 *  high    10,000 drm.high writes: at most one reclaim item pending per
 *          cgroup (two in flight), then rmdir while reclaim runs
 *
 *   races [first|unreg|cycles|peak|high] [rounds]   (default: all, default rounds)
 *
 * Static binary run in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "drmcg_test.h"

#define DBG "/sys/kernel/debug/drm_cgroup"
#define RACE CG "/race"
#define KEY "race:00.0/vram0"

/*
 * Unreclaimable slab in KiB, from /proc/meminfo, after shrinking every slab
 * cache: that also empties KASAN's quarantine of freed objects, which would
 * otherwise count as slab in use on a KASAN kernel.
 */
static long long sunreclaim(void)
{
	char buf[8192], path[512], *p;
	struct dirent *d;
	DIR *dir;

	put("/proc/sys/vm/drop_caches", "3");
	dir = opendir("/sys/kernel/slab");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", d->d_name);
		put(path, "1");
	}
	if (dir)
		closedir(dir);

	if (read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "SUnreclaim:");
	return p ? atoll(p + strlen("SUnreclaim:")) : -1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits (polling) until the live-pool count is at most @want; returns it. */
static long long settle_pools(long long want)
{
	long long pools = -1;
	int i;

	for (i = 0; i < 400; i++) {
		pools = read_number(DBG "/pools", NULL);
		if (pools <= want)
			break;
		usleep(50000);
	}
	return pools;
}

/*
 * Writes @cmd to the test interface through @fd, opened beforehand so that
 * racing processes reach the controller as close together as possible.
 */
static int ctl_write(int fd, const char *cmd)
{
	return write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd) ? 0 : -errno;
}

/* A start line for processes forked before it: all go at once. */
static atomic_int *gate;

static void wait_gate(int n)
{
	atomic_fetch_add(gate, 1);
	while (atomic_load(gate) < n)
		;
}

static void move_self(const char *cg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	check(put(path, "%d", getpid()) == 0, "move to %s", cg);
}

/*
 * Concurrent first charges, limit writes and child creation in fresh cgroups:
 * in race/rN (no tasks of its own), two tasks of the fresh child "a" charge
 * their first buffer, two others set drm.max of "a" and of rN, and a fifth
 * creates the child "sub" and charges from it, all at the same moment.
 */
static void test_first(int rounds)
{
	char cg[96], a[128], sub[128], path[256];
	int r, i, lost = 0, limits = 0, hier = 0;

	for (r = 0; r < rounds; r++) {
		pid_t pids[5];
		int status;

		snprintf(cg, sizeof(cg), "%s/r%d", RACE, r);
		snprintf(a, sizeof(a), "%s/a", cg);
		snprintf(sub, sizeof(sub), "%s/sub", cg);
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg);
		if (mkdir(cg, 0755) || put(path, "+drm") || mkdir(a, 0755)) {
			check(0, "cannot set up %s: %s", cg, strerror(errno));
			return;
		}
		atomic_store(gate, 0);
		for (i = 0; i < 5; i++) {
			int fd;

			pids[i] = fork();
			if (pids[i])
				continue;
			switch (i) {
			case 0:
			case 1:
				move_self(a);
				fd = open(DBG "/ctl", O_WRONLY);
				wait_gate(5);
				_exit(ctl_write(fd, "charge " KEY " 64K") ? 1 : 0);
			case 2:
				snprintf(path, sizeof(path), "%s/drm.max", a);
				fd = open(path, O_WRONLY);
				wait_gate(5);
				_exit(ctl_write(fd, KEY " 100M") ? 1 : 0);
			case 3:
				snprintf(path, sizeof(path), "%s/drm.max", cg);
				fd = open(path, O_WRONLY);
				wait_gate(5);
				_exit(ctl_write(fd, KEY " 200M") ? 1 : 0);
			default:
				fd = open(DBG "/ctl", O_WRONLY);
				wait_gate(5);
				if (mkdir(sub, 0755))
					_exit(1);
				move_self(sub);
				_exit(ctl_write(fd, "charge " KEY " 64K") ? 1 : 0);
			}
		}
		for (i = 0; i < 5; i++) {
			waitpid(pids[i], &status, 0);
			check(WIFEXITED(status) && !WEXITSTATUS(status),
			      "round %d: process %d failed", r, i);
		}
		snprintf(path, sizeof(path), "%s/drm.current", a);
		if (read_number(path, KEY) != 128 * KB) {
			lost++;
			printf("round %d: %s current %lld, expected %lld\n", r, a,
			       read_number(path, KEY), 128 * KB);
		}
		snprintf(path, sizeof(path), "%s/drm.max", a);
		if (read_number(path, KEY) != 100 * MB) {
			limits++;
			printf("round %d: %s drm.max reads %lld\n", r, a, read_number(path, KEY));
		}
		snprintf(path, sizeof(path), "%s/drm.max", cg);
		if (read_number(path, KEY) != 200 * MB) {
			limits++;
			printf("round %d: %s drm.max reads %lld\n", r, cg, read_number(path, KEY));
		}
		/* Both children's pools must hang below rN's: it counts both. */
		snprintf(path, sizeof(path), "%s/drm.current", cg);
		if (read_number(path, KEY) != 192 * KB) {
			hier++;
			printf("round %d: %s current %lld, expected %lld\n", r, cg,
			       read_number(path, KEY), 192 * KB);
		}
		check(put(DBG "/ctl", "release-all %s", KEY) == 0, "release-all");
		snprintf(path, sizeof(path), "%s/drm.current", cg);
		check(read_number(path, KEY) == 0, "round %d: current %lld after release", r,
		      read_number(path, KEY));
		check(rmdir(sub) == 0, "rmdir %s: %s", sub, strerror(errno));
		check(rmdir(a) == 0, "rmdir %s: %s", a, strerror(errno));
		check(rmdir(cg) == 0, "rmdir %s: %s", cg, strerror(errno));
	}
	printf("first: %d rounds, %d with lost charges, %d with a lost max, %d with a "
	       "detached child\n", rounds, lost, limits, hier);
	check(!lost && !limits && !hier, "first charges lost state");
}

/*
 * Pool creation against unregister: an admin's limit write creates the pools
 * of a fresh cgroup and its ancestors, and nothing keeps a region registered
 * for it. In each round a region is registered, two tasks write drm.max and
 * drm.low of fresh cgroups race/uN/a and race/uN/b for the first time while a
 * third unregisters the region, all at the same moment. A write either lands
 * or fails with ENODEV; once the cgroups are removed, every pool is freed.
 */
static void test_unreg(int rounds)
{
	char cg[96], a[128], b[128], path[256];
	long long start = settle_pools(read_number(DBG "/pools", NULL));
	int r, i, landed = 0, refused = 0, other = 0;

	for (r = 0; r < rounds; r++) {
		pid_t pids[3];
		int status;

		snprintf(cg, sizeof(cg), "%s/u%d", RACE, r);
		snprintf(a, sizeof(a), "%s/a", cg);
		snprintf(b, sizeof(b), "%s/b", cg);
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg);
		if (mkdir(cg, 0755) || put(path, "+drm") || mkdir(a, 0755) || mkdir(b, 0755) ||
		    put(DBG "/ctl", "register unreg:00.0 vram0 1G")) {
			check(0, "cannot set up %s: %s", cg, strerror(errno));
			return;
		}
		atomic_store(gate, 0);
		for (i = 0; i < 3; i++) {
			int fd, ret;

			pids[i] = fork();
			if (pids[i])
				continue;
			if (i == 2) {
				volatile int spin;

				fd = open(DBG "/ctl", O_WRONLY);
				wait_gate(3);
				/* Sweep the window: from at once to after the writes. */
				for (spin = 0; spin < (r % 64) * 500; spin++)
					;
				_exit(ctl_write(fd, "unregister unreg:00.0/vram0") ? 1 : 0);
			}
			snprintf(path, sizeof(path), "%s/%s", i ? b : a, i ? "drm.low" : "drm.max");
			fd = open(path, O_WRONLY);
			wait_gate(3);
			ret = ctl_write(fd, "unreg:00.0/vram0 1M");
			_exit(ret == 0 ? 0 : ret == -ENODEV ? 2 : 1);
		}
		for (i = 0; i < 3; i++) {
			waitpid(pids[i], &status, 0);
			if (!WIFEXITED(status) || WEXITSTATUS(status) == 1)
				other++;
			else if (i < 2 && WEXITSTATUS(status) == 0)
				landed++;
			else if (i < 2)
				refused++;
		}
		check(rmdir(a) == 0 && rmdir(b) == 0 && rmdir(cg) == 0, "rmdir %s: %s", cg,
		      strerror(errno));
	}
	printf("unreg: %d rounds, %d first limit writes landed, %d refused with ENODEV\n",
	       rounds, landed, refused);
	check(!other, "%d writes or unregisters failed otherwise", other);
	check(settle_pools(start) <= start, "%lld pools left, %lld before",
	      read_number(DBG "/pools", NULL), start);
}

/*
 * Register, charge the leaf race/a/b twice and the root once (pools at four
 * levels: root, race, a, b), unregister with the charges, release. "a" has
 * drm in its subtree_control, so no task can live there.
 */
static void test_cycles(int rounds)
{
	long long pools_before, slab_before, slab_after, t0;
	int r, bad = 0;

	mkdir(RACE "/a", 0755);
	put(RACE "/a/cgroup.subtree_control", "+drm");
	mkdir(RACE "/a/b", 0755);
	/* Warm up the slab caches the cycle uses, then measure. */
	for (r = 0; r < 2; r++) {
		put(DBG "/ctl", "register cycle:00.0 vram0 1G");
		put(DBG "/ctl", "charge cycle:00.0/vram0 4K");
		put(DBG "/ctl", "unregister cycle:00.0/vram0");
		put(DBG "/ctl", "release-all cycle:00.0/vram0");
	}
	pools_before = read_number(DBG "/pools", NULL);
	put("/proc/sys/vm/drop_caches", "3");
	slab_before = sunreclaim();
	t0 = now_ms();
	for (r = 0; r < rounds; r++) {
		/*
		 * Pools of cgroups that earlier tests removed may still be freed
		 * meanwhile: the count may go down, never up.
		 */
		long long start = read_number(DBG "/pools", NULL);

		if (put(DBG "/ctl", "register cycle:00.0 vram0 1G")) {
			bad++;
			continue;
		}
		move_self(RACE "/a/b");
		put(DBG "/ctl", "charge cycle:00.0/vram0 64K");
		put(DBG "/ctl", "charge cycle:00.0/vram0 64K");
		move_self(CG);
		put(DBG "/ctl", "charge cycle:00.0/vram0 64K");
		if (read_number(RACE "/a/drm.current", "cycle:00.0/vram0") != 128 * KB ||
		    read_number(RACE "/a/b/drm.current", "cycle:00.0/vram0") != 128 * KB ||
		    read_number(CG "/drm.current", "cycle:00.0/vram0") != 192 * KB)
			bad++;
		/* Unregister with the charges outstanding, then give them back. */
		if (put(DBG "/ctl", "unregister cycle:00.0/vram0") ||
		    put(DBG "/ctl", "release-all cycle:00.0/vram0"))
			bad++;
		if (read_number(DBG "/pools", NULL) > start)
			bad++;
	}
	put("/proc/sys/vm/drop_caches", "3");
	slab_after = sunreclaim();
	printf("cycles: %d in %lld ms; pools %lld before, %lld after; SUnreclaim %lld KiB "
	       "before, %lld KiB after\n", rounds, now_ms() - t0, pools_before,
	       read_number(DBG "/pools", NULL), slab_before, slab_after);
	check(!bad, "%d cycle(s) left a pool or lost a charge", bad);
	check(read_number(DBG "/pools", NULL) <= pools_before, "pools leaked");
	/*
	 * A pool and a region are ~1 KiB of slab together: a leak per cycle
	 * would show as rounds KiB. Allow for the rest of the system.
	 */
	check(slab_after - slab_before < rounds / 4 + 256,
	      "slab grew by %lld KiB over %d cycles", slab_after - slab_before, rounds);
	rmdir(RACE "/a/b");
	rmdir(RACE "/a");
}

/* A per-file peak must not carry over to another region in the same slot. */
static void test_peak(void)
{
	char buf[512], line[128];
	long long v;
	int fd;

	mkdir(RACE "/p", 0755);
	check(put(DBG "/ctl", "register peak:00.0 old 1G") == 0, "register old");
	move_self(RACE "/p");
	put(DBG "/ctl", "charge peak:00.0/old 2M");
	put(DBG "/ctl", "uncharge peak:00.0/old 1M");
	fd = open(RACE "/p/drm.peak", O_RDWR);
	check(fd >= 0, "open drm.peak");
	/* Reset: this file's peak of "old" is now its usage, 1M. */
	check(write(fd, "reset\n", 6) == 6, "reset drm.peak");
	put(DBG "/ctl", "release peak:00.0/old");
	move_self(CG);
	check(put(DBG "/ctl", "unregister peak:00.0/old") == 0, "unregister old");
	/* The new region takes the lowest free slot, the old one's. */
	check(put(DBG "/ctl", "register peak:00.0 new 1G") == 0, "register new");
	move_self(RACE "/p");
	put(DBG "/ctl", "charge peak:00.0/new 64K");
	move_self(CG);
	memset(buf, 0, sizeof(buf));
	check(pread(fd, buf, sizeof(buf) - 1, 0) > 0, "read drm.peak");
	snprintf(line, sizeof(line), "peak:00.0/new ");
	v = strstr(buf, line) ? atoll(strstr(buf, line) + strlen(line)) : -1;
	check(v == 64 * KB, "drm.peak of the new region reads %lld through an old fd, "
	      "expected %lld", v, 64 * KB);
	check(!strstr(buf, "peak:00.0/old"), "the old region is still listed");
	/* A reset in the new region works as in any region. */
	put(DBG "/ctl", "release-all peak:00.0/new");
	check(write(fd, "reset\n", 6) == 6, "reset drm.peak again");
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, sizeof(buf) - 1, 0);
	v = strstr(buf, line) ? atoll(strstr(buf, line) + strlen(line)) : -1;
	check(v == 0, "drm.peak after reset reads %lld", v);
	close(fd);
	put(DBG "/ctl", "unregister peak:00.0/new");
	rmdir(RACE "/p");
}

/* Reads "name value" from the high_reclaim debugfs file. */
static long long high_stat(const char *name)
{
	return read_number(DBG "/high_reclaim", name);
}

static void test_high(int writes)
{
	long long queued0 = high_stat("queued"), runs0 = high_stat("runs");
	long long slab_before, slab_after, t0;
	int i, fd;

	check(queued0 >= 0, "no high_reclaim statistics");
	mkdir(RACE "/h", 0755);
	put(DBG "/ctl", "register high:00.0 vram0 1G");
	move_self(RACE "/h");
	/* 8M the reclaim op can evict (in 64K steps), 1M it cannot (pinned). */
	put(DBG "/ctl", "charge high:00.0/vram0 9M");
	put(DBG "/ctl", "pin high:00.0/vram0 1M");
	move_self(CG);
	put("/proc/sys/vm/drop_caches", "3");
	slab_before = sunreclaim();
	fd = open(RACE "/h/drm.high", O_WRONLY);
	check(fd >= 0, "open drm.high");
	t0 = now_ms();
	for (i = 0; i < writes; i++) {
		/* Alternate below and above usage: every other write queues reclaim. */
		const char *v = i % 2 ? "high:00.0/vram0 max" : "high:00.0/vram0 512K";

		if (write(fd, v, strlen(v)) != (ssize_t)strlen(v)) {
			check(0, "write %d to drm.high: %s", i, strerror(errno));
			break;
		}
	}
	close(fd);
	put("/proc/sys/vm/drop_caches", "3");
	slab_after = sunreclaim();
	printf("high: %d writes in %lld ms: %lld items queued, %lld runs, at most %lld in "
	       "flight for one cgroup; SUnreclaim %lld -> %lld KiB\n", writes,
	       now_ms() - t0, high_stat("queued") - queued0, high_stat("runs") - runs0,
	       high_stat("max_in_flight"), slab_before, slab_after);
	check(high_stat("max_in_flight") <= 2,
	      "%lld reclaim items in flight for one cgroup (one may run, one be pending)",
	      high_stat("max_in_flight"));
	check(high_stat("queued") - queued0 <= writes / 2,
	      "more items queued than writes that lowered high");

	/* Now let reclaim work, and remove the cgroup while it does. */
	check(cg_put("race/h", "drm.high", "high:00.0/vram0 1M") == 0, "set high");
	for (i = 0; i < 50; i++) {
		if (rmdir(RACE "/h") == 0)
			break;
		usleep(1000);
	}
	check(i < 50, "rmdir during reclaim: %s", strerror(errno));
	check(put(DBG "/ctl", "release-all high:00.0/vram0") == 0, "release-all");
	usleep(200000);
	check(read_number(CG "/drm.current", "high:00.0/vram0") == 0, "usage left after release");
	put(DBG "/ctl", "unregister high:00.0/vram0");
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	int rounds = argc > 2 ? atoi(argv[2]) : 0;
	long long pools;

	gate = mmap(NULL, sizeof(*gate), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (gate == MAP_FAILED)
		return 1;
	mkdir(RACE, 0755);
	put(RACE "/cgroup.subtree_control", "+drm");
	pools = read_number(DBG "/pools", NULL);
	if (put(DBG "/ctl", "register race:00.0 vram0 1G")) {
		printf("FAIL: register\n");
		return 1;
	}
	if (!only || !strcmp(only, "first")) {
		test_first(rounds ? rounds : 500);
		/* The removed cgroups are freed, and their pools with them... */
		printf("first: %lld pools left once removed cgroups are freed (race and "
		       "the root hold 2)\n", settle_pools(pools + 2));
	}
	/* ... and unregistering frees every pool of the region, the root's too. */
	put(DBG "/ctl", "unregister %s", KEY);
	check(read_number(DBG "/pools", NULL) <= pools, "%lld pools left after unregister, "
	      "%lld before register", read_number(DBG "/pools", NULL), pools);
	if (!only || !strcmp(only, "unreg"))
		test_unreg(rounds ? rounds : 300);
	if (!only || !strcmp(only, "cycles"))
		test_cycles(rounds ? rounds : 1000);
	if (!only || !strcmp(only, "peak"))
		test_peak();
	if (!only || !strcmp(only, "high"))
		test_high(rounds ? rounds : 10000);
	rmdir(RACE);
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: races\n");
	return 0;
}
