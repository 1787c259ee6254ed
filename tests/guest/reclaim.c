// SPDX-License-Identifier: GPL-2.0
/*
 * drm.reclaim, as memory.reclaim: writing "<key> <bytes>" asks the region's
 * driver to evict that much of the cgroup's buffers, honouring the
 * protection of the cgroups below it, fails with EAGAIN when it could not,
 * and is counted in drm.stat ("reclaimed="). On the TTM test device (two
 * VRAM tiles and system memory) and on qxl. Static binary run in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

#include "drmcg_drm.h"
#include "drmcg_testdev.h"
#include <drm/qxl_drm.h>

static char card[64], tile0[128], sys[128];

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Writes "<key> <what>" to @cg's drm.reclaim: 0 or -errno. */
static int reclaim(const char *cg, const char *key, const char *what)
{
	return cg_put(cg, "drm.reclaim", "%s %s", key, what);
}

static void test_device(void)
{
	long long t0, before;
	long long h;
	int fd, i, ret;

	fd = drm_open_driver("drmcg_test", card, sizeof(card));
	if (fd < 0) {
		printf("no test device\n");
		failures++;
		return;
	}
	snprintf(tile0, sizeof(tile0), "%s/tile0", card);
	snprintf(sys, sizeof(sys), "%s/system", card);

	/* x has two children: r uses tile0 unprotected, p within its min. */
	cg_mkdir("x");
	check(cg_put("x", "cgroup.subtree_control", "+drm") == 0, "x subtree_control");
	cg_mkdir("x/r");
	cg_mkdir("x/p");
	check(cg_put("x/p", "drm.min", "%s 8M", tile0) == 0, "p min");
	cg_enter("x/r");
	for (i = 0; i < 4; i++)
		check(tdev_create(fd, 4 * MB, DRMCG_TEST_DOMAIN_TILE0, 0) > 0, "r buffer %d", i);
	cg_enter("x/p");
	for (i = 0; i < 2; i++)
		check(tdev_create(fd, 4 * MB, DRMCG_TEST_DOMAIN_TILE0, 0) > 0, "p buffer %d", i);
	cg_enter("");
	check(drm_current("x/r", tile0) == 16 * MB && drm_current("x/p", tile0) == 8 * MB,
	      "set-up: r %lld, p %lld", drm_current("x/r", tile0), drm_current("x/p", tile0));

	printf("-- a cgroup that never used the region has nothing to give\n");
	cg_mkdir("e");
	before = read_number("/sys/kernel/debug/drm_cgroup/pools", NULL);
	check(reclaim("e", tile0, "1M") == -EAGAIN, "reclaim from an unused region");
	check(reclaim("e", tile0, "0") == 0, "reclaiming nothing");
	check(read_number("/sys/kernel/debug/drm_cgroup/pools", NULL) == before,
	      "reclaim writes created a pool: %lld, was %lld",
	      read_number("/sys/kernel/debug/drm_cgroup/pools", NULL), before);
	cg_rmdir("e");

	printf("-- bad writes change nothing\n");
	check(reclaim("x/r", tile0, "max") == -EINVAL, "max is not an amount");
	check(reclaim("x/r", tile0, "-1") == -EINVAL, "negative amount");
	check(reclaim("x/r", "nosuch:00.0/tile0", "1M") == -ENODEV, "unknown region");
	check(cg_put("x/r", "drm.reclaim", "%s", tile0) == -EINVAL, "no amount");
	check(reclaim("x/r", tile0, "0") == 0, "nothing to reclaim");
	check(drm_current("x/r", tile0) == 16 * MB, "bad writes moved %lld", 16 * MB - drm_current("x/r", tile0));

	printf("-- reclaim from one cgroup: evicted to system, counted\n");
	check(reclaim("x/r", tile0, "8M") == 0, "reclaim 8M of r");
	check(drm_current("x/r", tile0) <= 8 * MB, "r tile0 %lld after reclaiming 8M", drm_current("x/r", tile0));
	check(drm_current("x/r", sys) >= 8 * MB, "r system %lld: evicted buffers stay charged",
	      drm_current("x/r", sys));
	check(drm_stat("x/r", tile0, "reclaimed") >= 8 * MB, "r reclaimed %lld",
	      drm_stat("x/r", tile0, "reclaimed"));
	check(drm_stat("x/r", tile0, "evictions") >= 2, "r evictions %lld",
	      drm_stat("x/r", tile0, "evictions"));
	check(drm_current("x/p", tile0) == 8 * MB, "p lost %lld", 8 * MB - drm_current("x/p", tile0));

	printf("-- reclaim from the parent spares the protected child\n");
	before = drm_current("x/p", tile0);
	ret = reclaim("x", tile0, "16M");
	check(ret == -EAGAIN, "reclaiming past the unprotected buffers: %d", ret);
	check(drm_current("x/r", tile0) == 0, "r tile0 %lld left", drm_current("x/r", tile0));
	check(drm_current("x/p", tile0) == before, "p within min lost %lld", before - drm_current("x/p", tile0));
	check(drm_stat("x", tile0, "reclaimed") >= 8 * MB && drm_stat("x", tile0, "reclaimed") < 16 * MB,
	      "x reclaimed %lld", drm_stat("x", tile0, "reclaimed"));

	printf("-- nothing that can leave: EAGAIN at once\n");
	cg_enter("x/r");
	h = tdev_create(fd, 4 * MB, DRMCG_TEST_DOMAIN_TILE0, DRMCG_TEST_PIN);
	check(h > 0, "pinned buffer");
	cg_enter("");
	t0 = now_ms();
	check(reclaim("x/r", tile0, "4M") == -EAGAIN, "pinned buffers cannot be reclaimed");
	check(reclaim("x/r", sys, "1M") == -EAGAIN, "system memory cannot be left");
	printf("refused in %lld ms\n", now_ms() - t0);
	check(drm_current("x/r", tile0) == 4 * MB, "pinned buffer moved");

	close(fd);
	check(drm_current("x", tile0) == 0 && drm_current("x", sys) == 0, "x after close: %lld, %lld",
	      drm_current("x", tile0), drm_current("x", sys));
	cg_rmdir("x/r");
	cg_rmdir("x/p");
	cg_rmdir("x");
}

static void test_qxl(void)
{
	char vram[128], qsys[128];
	struct drm_qxl_alloc a = { .size = MB };
	int fd, i;

	fd = drm_open_driver("qxl", card, sizeof(card));
	if (fd < 0) {
		printf("no qxl device\n");
		failures++;
		return;
	}
	snprintf(vram, sizeof(vram), "%s/vram0", card);
	snprintf(qsys, sizeof(qsys), "%s/system", card);
	cg_mkdir("q");
	cg_enter("q");
	for (i = 0; i < 4; i++)
		check(ioctl(fd, DRM_IOCTL_QXL_ALLOC, &a) == 0, "qxl alloc %d", i);
	cg_enter("");
	check(drm_current("q", vram) == 4 * MB, "q vram %lld", drm_current("q", vram));
	check(reclaim("q", vram, "2M") == 0, "reclaim 2M on qxl");
	check(drm_current("q", vram) <= 2 * MB, "q vram %lld after reclaim", drm_current("q", vram));
	check(drm_current("q", qsys) >= 2 * MB, "q system %lld", drm_current("q", qsys));
	check(drm_stat("q", vram, "reclaimed") >= 2 * MB, "q reclaimed %lld",
	      drm_stat("q", vram, "reclaimed"));
	/* qxl evicts system memory only to system memory. */
	check(reclaim("q", qsys, "1M") == -EAGAIN, "qxl system memory cannot be left");
	close(fd);
	check(drm_current("q", vram) == 0 && drm_current("q", qsys) == 0, "q after close");
	cg_rmdir("q");
}

int main(void)
{
	struct stat st;

	/* drm.reclaim exists on every cgroup, the root included, and is write-only. */
	check(stat(CG "/drm.reclaim", &st) == 0, "no drm.reclaim on the root");
	check((st.st_mode & 0777) == 0200, "drm.reclaim mode %o", st.st_mode & 0777);
	test_device();
	test_qxl();
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: reclaim\n");
	return 0;
}
