// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end tests on the drm cgroup test device (CONFIG_DRM_DRMCG_TEST):
 * a TTM device with two VRAM tiles and a system domain, each its own
 * region. Its tiles have no backing store, so the scenarios use memcg's
 * own sizes. Covered: protection at full scale (min and low), min never
 * evicted and low only in a second pass with low events, owner
 * charging across regions, evicted bytes moving to the system region,
 * no-evict allocations, pinning, over-high cgroups evicted first, reclaim
 * on a lowered max, low protection of buffers with two placements, reclaim
 * of the system region, no pool reference leaked, and unbinding the device
 * with buffers alive. Static binary run in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drmcg_drm.h"
#include "drmcg_protection.h"
#include "drmcg_testdev.h"

#define DRIVER "drmcg_test"
#define POOLS "/sys/kernel/debug/drm_cgroup/pools"
#define PARAMS "/sys/module/drmcg_test_dev/parameters"
#define PLATFORM_DRIVER "/sys/bus/platform/drivers/drmcg_test"

#define TILE0 DRMCG_TEST_DOMAIN_TILE0
#define TILE1 DRMCG_TEST_DOMAIN_TILE1
#define SYSTEM DRMCG_TEST_DOMAIN_SYSTEM

static char card[64], tile0[128], tile1[128], sys[128];

static unsigned int prot_alloc(int fd, long long size)
{
	long long h = tdev_create(fd, size, TILE0, 0);

	return h > 0 ? h : 0;
}

static void set_keys(void)
{
	snprintf(tile0, sizeof(tile0), "%s/tile0", card);
	snprintf(tile1, sizeof(tile1), "%s/tile1", card);
	snprintf(sys, sizeof(sys), "%s/system", card);
}

/* Every region is listed in drm.capacity with the configured size. */
static void t_regions(void)
{
	long long mb0 = -1, mb1 = -1;
	FILE *f;

	f = fopen(PARAMS "/tile0_mb", "r");
	check(f && fscanf(f, "%lld", &mb0) == 1, "tile0_mb");
	if (f)
		fclose(f);
	f = fopen(PARAMS "/tile1_mb", "r");
	check(f && fscanf(f, "%lld", &mb1) == 1, "tile1_mb");
	if (f)
		fclose(f);
	check(cg_get("", "drm.capacity", tile0, NULL) == mb0 * MB,
	      "capacity of %s", tile0);
	check(cg_get("", "drm.capacity", tile1, NULL) == mb1 * MB,
	      "capacity of %s", tile1);
	check(cg_get("", "drm.capacity", sys, NULL) > 0, "capacity of %s", sys);

	/* Sizes out of range are refused when written and change nothing. */
	check(put(PARAMS "/tile0_mb", "0") == -EINVAL, "tile0_mb 0");
	check(put(PARAMS "/tile1_mb", "2097152") == -EINVAL, "tile1_mb 2 TiB");
	check(put(PARAMS "/tile0_mb", "12x") == -EINVAL, "tile0_mb 12x");
	f = fopen(PARAMS "/tile0_mb", "r");
	check(f && fscanf(f, "%lld", &mb1) == 1 && mb1 == mb0, "tile0_mb changed");
	if (f)
		fclose(f);
}

/* Bad ioctl arguments are refused with a clear error and change nothing. */
static void t_bad_input(int fd)
{
	struct drm_drmcg_test_create c = {
		.size = MB, .domains = TILE0, .pad = 1,
	};
	unsigned int h;

	printf("-- bad input\n");
	check(tdev_create(fd, 0, TILE0, 0) == -EINVAL, "size 0");
	check(tdev_create(fd, MB, 0, 0) == -EINVAL, "no domain");
	check(tdev_create(fd, MB, 1 << 3, 0) == -EINVAL, "unknown domain");
	check(tdev_create(fd, MB, TILE0, 1 << 5) == -EINVAL, "unknown flag");
	check(tdev_create(fd, MB, TILE0, DRMCG_TEST_UNPIN) == -EINVAL, "create+unpin");
	check(ioctl(fd, DRM_IOCTL_DRMCG_TEST_CREATE, &c) && errno == EINVAL, "pad");
	check(tdev_validate(fd, 12345, TILE0, 0) == -ENOENT, "unknown handle");
	check(tdev_where(fd, 12345) == -ENOENT, "query of an unknown handle");
	h = tdev_new_bo(fd, MB, TILE0);
	check(tdev_validate(fd, h, TILE0, DRMCG_TEST_UNPIN) == -EINVAL,
	      "unpin of an unpinned buffer");
	check(tdev_validate(fd, h, TILE0, DRMCG_TEST_PIN | DRMCG_TEST_UNPIN) == -EINVAL,
	      "pin+unpin");
	check(tdev_where(fd, h) == TILE0, "buffer moved by bad input");
	tdev_release(fd, h);
	check(drm_current("", tile0) == 0, "root tile0 %lld", drm_current("", tile0));
}

/*
 * Charges follow the buffer's owner into whichever region it is placed
 * in, also when another cgroup's process moves it.
 */
static void t_owner(int fd)
{
	unsigned int a, b;

	printf("-- owner\n");
	cg_mkdir("ta");
	cg_mkdir("tb");
	cg_enter("ta");
	a = tdev_new_bo(fd, 8 * MB, TILE0);
	b = tdev_new_bo(fd, 4 * MB, TILE1);
	check(drm_current("ta", tile0) == 8 * MB && drm_current("ta", tile1) == 4 * MB,
	      "ta: tile0 %lld tile1 %lld", drm_current("ta", tile0), drm_current("ta", tile1));

	cg_enter("tb");
	check(tdev_validate(fd, a, TILE1, 0) == 0, "move a to tile1");
	check(tdev_where(fd, a) == TILE1, "a in %d", tdev_where(fd, a));
	check(drm_current("ta", tile0) == 0 && drm_current("ta", tile1) == 12 * MB,
	      "ta after the move: tile0 %lld tile1 %lld", drm_current("ta", tile0),
	      drm_current("ta", tile1));
	check(drm_current("tb", tile1) == 0, "tb charged %lld", drm_current("tb", tile1));
	check(tdev_validate(fd, b, SYSTEM, 0) == 0, "move b to system");
	check(drm_current("ta", sys) == 4 * MB, "ta system %lld", drm_current("ta", sys));

	tdev_release(fd, a);
	tdev_release(fd, b);
	check(drm_current("ta", tile1) == 0 && drm_current("ta", sys) == 0, "ta after free");
	cg_enter("");
	cg_rmdir("ta");
	cg_rmdir("tb");
}

/*
 * A full tile: eviction moves the victim's charge to the system region and
 * leaves the other tile alone. An allocation that may not evict others
 * fails with ENOSPC and moves nothing.
 */
static void t_evict_and_no_evict(int fd)
{
	unsigned int a[4], keep, b, c;
	long long h;
	int i, n;

	printf("-- eviction, no-evict\n");
	cg_mkdir("ta");
	cg_mkdir("tb");
	cg_mkdir("tc");
	cg_enter("ta");
	for (i = 0; i < 4; i++)
		a[i] = tdev_new_bo(fd, 64 * MB, TILE0);
	keep = tdev_new_bo(fd, 16 * MB, TILE1);

	/* tc may not evict ta: ENOSPC, nothing moved. */
	cg_enter("tc");
	h = tdev_create(fd, 64 * MB, TILE0, DRMCG_TEST_NO_EVICT_OTHERS);
	check(h == -ENOSPC, "no-evict create: %lld", h);
	for (i = 0, n = 0; i < 4; i++)
		n += tdev_where(fd, a[i]) == TILE0;
	check(n == 4, "%d of ta's buffers left in tile0", n);
	check(drm_current("ta", tile0) == 256 * MB, "ta tile0 %lld", drm_current("ta", tile0));
	check(drm_current("tc", tile0) == 0, "tc tile0 %lld", drm_current("tc", tile0));

	/* tb may: the least recently used buffer goes to system memory. */
	cg_enter("tb");
	b = tdev_new_bo(fd, 64 * MB, TILE0);
	check(tdev_where(fd, a[0]) == SYSTEM, "a[0] in %d", tdev_where(fd, a[0]));
	check(drm_current("ta", tile0) == 192 * MB, "ta tile0 %lld", drm_current("ta", tile0));
	check(drm_current("ta", sys) == 64 * MB, "ta system %lld", drm_current("ta", sys));
	check(drm_current("tb", tile0) == 64 * MB, "tb tile0 %lld", drm_current("tb", tile0));
	check(drm_stat("ta", tile0, "evicted") == 64 * MB, "ta evicted %lld",
	      drm_stat("ta", tile0, "evicted"));
	check(drm_stat("ta", tile0, "evictions") == 1, "ta evictions");
	check(tdev_where(fd, keep) == TILE1 && drm_current("ta", tile1) == 16 * MB,
	      "tile1 untouched");

	/* A no-evict validation fails the same way and moves nothing. */
	cg_enter("tc");
	c = tdev_new_bo(fd, 64 * MB, SYSTEM);
	check(tdev_validate(fd, c, TILE0, DRMCG_TEST_NO_EVICT_OTHERS) == -ENOSPC,
	      "no-evict validate");
	check(tdev_where(fd, c) == SYSTEM && drm_current("tb", tile0) == 64 * MB &&
	      drm_current("ta", tile0) == 192 * MB, "no-evict validate moved something");

	for (i = 0; i < 4; i++)
		tdev_release(fd, a[i]);
	tdev_release(fd, keep);
	tdev_release(fd, b);
	tdev_release(fd, c);
	cg_enter("");
	cg_rmdir("ta");
	cg_rmdir("tb");
	cg_rmdir("tc");
}

/*
 * Limits of a cgroup's own: its max in the system region cannot make its
 * buffers unevictable (the eviction charges past it), and a no-evict
 * allocation refused by its own max makes room among its own buffers.
 */
static void t_own_limits(int fd)
{
	unsigned int a[4], b, c;
	long long h;
	int i;

	printf("-- own limits\n");
	cg_mkdir("ta");
	cg_mkdir("tb");
	cg_mkdir("tc");
	check(cg_put("ta", "drm.max", "%s 0", sys) == 0, "ta system max");
	cg_enter("ta");
	for (i = 0; i < 4; i++)
		a[i] = tdev_new_bo(fd, 64 * MB, TILE0);
	cg_enter("tb");
	b = tdev_new_bo(fd, 64 * MB, TILE0);
	check(tdev_where(fd, a[0]) == SYSTEM, "a[0] in %d", tdev_where(fd, a[0]));
	check(drm_current("ta", sys) == 64 * MB, "ta system %lld over its max 0",
	      drm_current("ta", sys));
	check(cg_get("ta", "drm.events", sys, "max") == 0, "max events");
	for (i = 0; i < 4; i++)
		tdev_release(fd, a[i]);
	tdev_release(fd, b);

	check(cg_put("tc", "drm.max", "%s 64M", tile0) == 0, "tc max");
	cg_enter("tc");
	c = tdev_new_bo(fd, 64 * MB, TILE0);
	h = tdev_create(fd, 64 * MB, TILE0, DRMCG_TEST_NO_EVICT_OTHERS);
	check(h > 0, "no-evict create within its own limit: %lld", h);
	check(tdev_where(fd, c) == SYSTEM && drm_current("tc", tile0) == 64 * MB,
	      "tc's own buffer was not evicted");
	tdev_release(fd, c);
	if (h > 0)
		tdev_release(fd, h);
	cg_enter("");
	cg_rmdir("ta");
	cg_rmdir("tb");
	cg_rmdir("tc");
}

/* Pinned buffers are reported in drm.stat and never evicted. */
static void t_pin(int fd)
{
	unsigned int a, b, b2;
	long long h;

	printf("-- pinning\n");
	cg_mkdir("ta");
	cg_mkdir("tb");
	cg_enter("ta");
	h = tdev_create(fd, 48 * MB, TILE1, DRMCG_TEST_PIN);
	check(h > 0, "pinned create: %lld", h);
	a = h > 0 ? h : 0;
	check(drm_stat("ta", tile1, "pinned") == 48 * MB, "ta pinned %lld",
	      drm_stat("ta", tile1, "pinned"));

	cg_enter("tb");
	h = tdev_create(fd, 32 * MB, TILE1, 0);
	check(h == -ENOSPC, "create over a pinned buffer: %lld", h);
	check(tdev_where(fd, a) == TILE1, "pinned buffer moved");
	check(tdev_validate(fd, a, SYSTEM, 0) == -EINVAL, "moving a pinned buffer");

	/* A failed move after an unpin keeps the pin; a second pin is refused. */
	b = tdev_new_bo(fd, 256 * MB, TILE0);
	check(tdev_validate(fd, b, TILE0, DRMCG_TEST_PIN) == 0, "pin tile0");
	cg_enter("ta");
	check(tdev_validate(fd, a, TILE0, DRMCG_TEST_UNPIN) == -ENOSPC,
	      "unpin and move into a pinned-full tile");
	check(tdev_where(fd, a) == TILE1 && drm_stat("ta", tile1, "pinned") == 48 * MB,
	      "pin lost by a failed move");
	check(tdev_validate(fd, a, TILE1, DRMCG_TEST_PIN) == -EBUSY, "second pin");
	tdev_release(fd, b);
	check(tdev_validate(fd, a, TILE1, DRMCG_TEST_UNPIN) == 0, "unpin");
	check(drm_stat("ta", tile1, "pinned") == 0, "ta pinned after unpin");
	cg_enter("tb");
	b = tdev_new_bo(fd, 32 * MB, TILE1);
	check(tdev_where(fd, a) == SYSTEM, "unpinned buffer stayed");

	/* Pin through validation, and free while pinned. */
	b2 = tdev_new_bo(fd, 8 * MB, SYSTEM);
	check(tdev_validate(fd, b2, TILE1, DRMCG_TEST_PIN) == 0, "validate+pin");
	check(drm_stat("tb", tile1, "pinned") == 8 * MB, "tb pinned %lld",
	      drm_stat("tb", tile1, "pinned"));
	tdev_release(fd, b2);
	check(drm_stat("tb", tile1, "pinned") == 0, "tb pinned after free");

	tdev_release(fd, a);
	tdev_release(fd, b);
	check(drm_current("ta", tile1) == 0 && drm_current("tb", tile1) == 0, "after free");
	cg_enter("");
	cg_rmdir("ta");
	cg_rmdir("tb");
}

/* A cgroup over its drm.high is evicted before one within it. */
static void t_over_high(int fd)
{
	unsigned int c[2], a[2], b;

	printf("-- over high first\n");
	cg_mkdir("ta");
	cg_mkdir("tb");
	cg_mkdir("tc");
	/* tc's buffers are the least recently used. */
	cg_enter("tc");
	c[0] = tdev_new_bo(fd, 64 * MB, TILE0);
	c[1] = tdev_new_bo(fd, 64 * MB, TILE0);
	cg_enter("ta");
	check(cg_put("ta", "drm.high", "%s 32M", tile0) == 0, "ta high");
	a[0] = tdev_new_bo(fd, 64 * MB, TILE0);
	a[1] = tdev_new_bo(fd, 64 * MB, TILE0);
	check(cg_get("ta", "drm.events", tile0, "high") >= 1, "ta high events");

	cg_enter("tb");
	b = tdev_new_bo(fd, 64 * MB, TILE0);
	check(tdev_where(fd, c[0]) == TILE0 && tdev_where(fd, c[1]) == TILE0,
	      "tc (within high) was evicted");
	check(drm_current("ta", tile0) == 64 * MB, "ta tile0 %lld", drm_current("ta", tile0));
	check(drm_stat("ta", tile0, "evictions") == 1, "ta evictions %lld",
	      drm_stat("ta", tile0, "evictions"));

	tdev_release(fd, c[0]);
	tdev_release(fd, c[1]);
	tdev_release(fd, a[0]);
	tdev_release(fd, a[1]);
	tdev_release(fd, b);
	cg_enter("");
	cg_rmdir("ta");
	cg_rmdir("tb");
	cg_rmdir("tc");
}

/*
 * A limit that can only be met by evicting protected memory: min is never
 * evicted (the allocation fails), low is, in a second pass that counts low
 * events.
 */
static void t_min_and_low(int fd, const char *knob)
{
	unsigned int l[3];
	long long h;
	int i;

	printf("-- breaching %s\n", knob);
	cg_mkdir("tp");
	check(cg_put("tp", "cgroup.subtree_control", "+drm") == 0, "tp +drm");
	cg_mkdir("tp/l");
	cg_mkdir("tp/g");
	check(cg_put("tp", "drm.max", "%s 64M", tile0) == 0, "tp max");
	check(cg_put("tp/l", knob, "%s 64M", tile0) == 0, "l %s", knob);
	cg_enter("tp/l");
	for (i = 0; i < 3; i++)
		l[i] = tdev_new_bo(fd, 16 * MB, TILE0);
	cg_enter("tp/g");
	h = tdev_create(fd, 32 * MB, TILE0, 0);
	if (!strcmp(knob, "drm.min")) {
		check(h == -ENOSPC, "allocation over min protection: %lld", h);
		check(drm_current("tp/l", tile0) == 48 * MB, "l lost memory within min");
		check(cg_get("tp/l", "drm.events", tile0, "low") == 0, "low events");
	} else {
		check(h > 0, "allocation over low protection: %lld", h);
		check(drm_current("tp/l", tile0) == 32 * MB, "l tile0 %lld",
		      drm_current("tp/l", tile0));
		check(cg_get("tp/l", "drm.events", tile0, "low") == 1 &&
		      cg_get("tp", "drm.events", tile0, "low") == 1,
		      "low events: l %lld, tp %lld",
		      cg_get("tp/l", "drm.events", tile0, "low"),
		      cg_get("tp", "drm.events", tile0, "low"));
		check(cg_get("tp/l", "drm.events.local", tile0, "low") == 1 &&
		      cg_get("tp", "drm.events.local", tile0, "low") == 0,
		      "local low events");
		tdev_release(fd, h);
	}
	for (i = 0; i < 3; i++)
		tdev_release(fd, l[i]);
	cg_enter("");
	cg_rmdir("tp/l");
	cg_rmdir("tp/g");
	cg_rmdir("tp");
}

/*
 * An allocation within drm.low whose buffer may also go to system memory
 * (tile0, then system) makes room in tile0 by evicting an unprotected
 * cgroup's buffer, instead of falling back to system memory as an
 * unprotected allocation does.
 */
static void t_low_two_places(int fd)
{
	unsigned int u[4], n, l;
	int i;

	printf("-- low with two placements\n");
	cg_mkdir("tl");
	cg_mkdir("tn");
	cg_mkdir("tu");
	check(cg_put("tl", "drm.low", "%s 64M", tile0) == 0, "tl low");
	cg_enter("tu");
	for (i = 0; i < 4; i++)
		u[i] = tdev_new_bo(fd, 64 * MB, TILE0);

	/* Unprotected: tile0 is full, the buffer goes to system memory. */
	cg_enter("tn");
	n = tdev_new_bo(fd, 32 * MB, TILE0 | SYSTEM);
	check(tdev_where(fd, n) == SYSTEM, "unprotected buffer in %d", tdev_where(fd, n));
	check(drm_current("tu", tile0) == 256 * MB, "tu tile0 %lld", drm_current("tu", tile0));

	/* Within low: tu's least recently used buffer makes room. */
	cg_enter("tl");
	l = tdev_new_bo(fd, 32 * MB, TILE0 | SYSTEM);
	check(tdev_where(fd, l) == TILE0, "protected buffer fell back to %d",
	      tdev_where(fd, l));
	check(drm_current("tl", tile0) == 32 * MB && drm_current("tl", sys) == 0,
	      "tl: tile0 %lld system %lld", drm_current("tl", tile0), drm_current("tl", sys));
	check(tdev_where(fd, u[0]) == SYSTEM, "u[0] in %d", tdev_where(fd, u[0]));
	check(drm_current("tu", tile0) == 192 * MB, "tu tile0 %lld", drm_current("tu", tile0));
	check(drm_stat("tu", tile0, "evictions") == 1, "tu evictions %lld",
	      drm_stat("tu", tile0, "evictions"));

	tdev_release(fd, l);
	tdev_release(fd, n);
	for (i = 0; i < 4; i++)
		tdev_release(fd, u[i]);
	cg_enter("");
	cg_rmdir("tl");
	cg_rmdir("tn");
	cg_rmdir("tu");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Lowering drm.max in the system region: the device evicts system memory
 * only to system memory, so nothing can leave the region. The write
 * returns at once, moves nothing and counts no eviction; charges in the
 * region fail while the usage is above max.
 */
static void t_system_reclaim(int fd)
{
	unsigned int b[4];
	double t;
	long long h;
	int i, n;

	printf("-- reclaiming the system region\n");
	cg_mkdir("ts");
	cg_enter("ts");
	for (i = 0; i < 4; i++)
		b[i] = tdev_new_bo(fd, 16 * MB, SYSTEM);
	check(drm_current("ts", sys) == 64 * MB, "ts system %lld", drm_current("ts", sys));

	t = now();
	check(cg_put("ts", "drm.max", "%s 16M", sys) == 0, "ts system max");
	t = now() - t;
	printf("reclaim of the system region took %.3f s\n", t);
	check(t < 5, "reclaim of the system region took %.3f s", t);
	check(drm_stat("ts", sys, "evictions") == 0 &&
	      drm_stat("ts", sys, "evicted") == 0,
	      "evictions counted: %lld (%lld bytes)",
	      drm_stat("ts", sys, "evictions"), drm_stat("ts", sys, "evicted"));
	check(drm_current("ts", sys) == 64 * MB, "ts system %lld", drm_current("ts", sys));
	for (i = 0, n = 0; i < 4; i++)
		n += tdev_where(fd, b[i]) == SYSTEM;
	check(n == 4, "%d of 4 buffers left in system memory", n);
	h = tdev_create(fd, MB, SYSTEM, 0);
	check(h == -ENOSPC, "charge above the system max: %lld", h);
	if (h > 0)
		tdev_release(fd, h);

	for (i = 0; i < 4; i++)
		tdev_release(fd, b[i]);
	check(drm_current("ts", sys) == 0, "ts system %lld after free", drm_current("ts", sys));
	cg_enter("");
	cg_rmdir("ts");
}

static long long pools(void)
{
	char buf[64];

	return read_file(POOLS, buf, sizeof(buf)) < 0 ? -1 : atoll(buf);
}

/* The number of pools once it stops changing (cgroups are freed late). */
static long long settled_pools(void)
{
	long long last = pools(), p;
	int i, same = 0;

	for (i = 0; i < 100 && same < 10; i++) {
		usleep(100000);
		p = pools();
		same = p == last ? same + 1 : 0;
		last = p;
	}
	return last;
}

/*
 * Every placement's charge is given back with its pool reference: after
 * buffers come, move between all regions and go, a removed cgroup is
 * freed, and its pools with it. A reference kept by an uncharge would
 * keep the cgroup and its pools alive.
 */
static void t_no_ref_leak(int fd)
{
	long long before, after = -1;
	unsigned int h;
	int i;

	printf("-- no pool reference leaked\n");
	/* The root cgroup's pools live as long as the regions. */
	h = tdev_new_bo(fd, MB, TILE0);
	check(tdev_validate(fd, h, TILE1, 0) == 0 && tdev_validate(fd, h, SYSTEM, 0) == 0,
	      "root moves");
	tdev_release(fd, h);
	before = settled_pools();
	check(before > 0, "pools %lld", before);

	cg_mkdir("tr");
	cg_enter("tr");
	for (i = 0; i < 64; i++) {
		h = tdev_new_bo(fd, MB, TILE0);
		check(tdev_validate(fd, h, TILE1, 0) == 0, "move %d to tile1", i);
		check(tdev_validate(fd, h, SYSTEM, 0) == 0, "move %d to system", i);
		tdev_release(fd, h);
	}
	check(pools() >= before + 3, "tr has no pools: %lld", pools());
	cg_enter("");
	cg_rmdir("tr");

	for (i = 0; i < 100; i++) {
		after = pools();
		if (after <= before)
			break;
		usleep(100000);
	}
	printf("pools: %lld before, %lld after\n", before, after);
	check(after <= before, "%lld pools leaked", after - before);
}

/* Lowering drm.max reclaims through TTM into the system region. */
static void t_lower_max(int fd)
{
	unsigned int a[4];
	long long h;
	int i;

	printf("-- lowering max\n");
	cg_mkdir("ta");
	cg_enter("ta");
	for (i = 0; i < 4; i++)
		a[i] = tdev_new_bo(fd, 16 * MB, TILE0);
	check(cg_put("ta", "drm.max", "%s 32M", tile0) == 0, "ta max");
	check(drm_current("ta", tile0) <= 32 * MB, "ta tile0 %lld after max",
	      drm_current("ta", tile0));
	check(drm_current("ta", sys) >= 32 * MB, "ta system %lld", drm_current("ta", sys));
	h = tdev_create(fd, 32 * MB, TILE0, 0);
	check(h > 0 && drm_current("ta", tile0) <= 32 * MB, "charging within the new max");
	if (h > 0)
		tdev_release(fd, h);
	cg_enter("");
	for (i = 0; i < 4; i++)
		tdev_release(fd, a[i]);
	check(drm_current("ta", tile0) == 0 && drm_current("ta", sys) == 0, "ta after free");
	cg_rmdir("ta");
}

/*
 * Unbinding the device with buffers alive: its regions go at once, the
 * buffers' charges when they are freed, and a new device registers again.
 */
static int t_unbind(int fd)
{
	int ready[2], status = 0, i, ret;
	unsigned int mover;
	long long h;
	pid_t pid;
	char c;

	printf("-- unbind with buffers alive\n");
	cg_mkdir("tu");
	cg_enter("tu");
	tdev_new_bo(fd, 16 * MB, TILE0);
	tdev_new_bo(fd, 8 * MB, TILE1);
	check(drm_current("tu", tile0) == 16 * MB, "tu tile0 %lld", drm_current("tu", tile0));

	/* A child moves a buffer back and forth while the device goes. */
	mover = tdev_new_bo(fd, MB, TILE0);
	check(pipe(ready) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		for (i = 0;; i++) {
			ret = tdev_validate(fd, mover, i & 1 ? TILE0 : TILE1, 0);
			if (i == 16 && write(ready[1], "", 1) != 1)
				_exit(2);
			if (ret)
				_exit(ret == -ENODEV ? 0 : 1);
		}
	}
	/* A mover that dies before it is ready gives EOF here, not a hang. */
	close(ready[1]);
	check(read(ready[0], &c, 1) == 1, "mover started");
	close(ready[0]);
	check(put(PLATFORM_DRIVER "/unbind", DRIVER) == 0, "unbind");
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "mover during unbind: %#x", status);
	check(cg_get("", "drm.capacity", tile0, NULL) == -1,
	      "region still registered");
	check(drm_current("tu", tile0) == -1, "tu still lists %s", tile0);
	h = tdev_create(fd, MB, TILE0, 0);
	check(h == -ENODEV, "create on an unplugged device: %lld", h);
	close(fd);

	check(put(PARAMS "/tile0_mb", "128") == 0, "tile0_mb");
	check(put(PLATFORM_DRIVER "/bind", DRIVER) == 0, "bind");
	fd = drm_open_driver(DRIVER, card, sizeof(card));
	if (fd < 0)
		return -1;
	check(cg_get("", "drm.capacity", tile0, NULL) == 128 * MB,
	      "capacity after rebinding");
	tdev_new_bo(fd, 8 * MB, TILE0);
	check(drm_current("tu", tile0) == 8 * MB, "tu tile0 %lld on the new device",
	      drm_current("tu", tile0));
	close(fd);
	check(drm_current("tu", tile0) == 0, "tu tile0 %lld after close",
	      drm_current("tu", tile0));
	cg_enter("");
	cg_rmdir("tu");
	check(put(PARAMS "/tile0_mb", "256") == 0, "tile0_mb");
	check(put(PLATFORM_DRIVER "/unbind", DRIVER) == 0 &&
	      put(PLATFORM_DRIVER "/bind", DRIVER) == 0, "rebind");
	return 0;
}

int main(void)
{
	struct prot_device d = {
		.key = tile0, .scale = 1, .alloc = prot_alloc, .release = tdev_release,
	};
	int fd;

	fd = drm_open_driver(DRIVER, card, sizeof(card));
	if (fd < 0)
		return 1;
	set_keys();
	t_regions();

	t_bad_input(fd);
	d.fd = fd;
	prot_run(&d, "drm.min");
	prot_run(&d, "drm.low");
	t_min_and_low(fd, "drm.min");
	t_min_and_low(fd, "drm.low");
	t_owner(fd);
	t_evict_and_no_evict(fd);
	t_own_limits(fd);
	t_pin(fd);
	t_over_high(fd);
	t_lower_max(fd);
	t_low_two_places(fd);
	t_system_reclaim(fd);
	t_no_ref_leak(fd);
	t_unbind(fd);

	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: test device\n");
	return 0;
}
