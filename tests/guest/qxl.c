// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end test with a real driver: QEMU's qxl GPU, whose VRAM, surface
 * and system memory TTM accounts with the drm cgroup controller. Buffers
 * are created, re-validated and freed through qxl's own ioctls from
 * processes in different cgroups. Static binary run in the guest.
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


static char vram[128], sys[128];

#define CURRENT(cg, key) cg_get(cg, "drm.current", key, NULL)

static unsigned int alloc_bo(int fd, unsigned int size)
{
	struct drm_qxl_alloc a = { .size = size };

	if (ioctl(fd, DRM_IOCTL_QXL_ALLOC, &a))
		return 0;
	return a.handle;
}

static void free_bo(int fd, unsigned int handle)
{
	struct drm_gem_close c = { .handle = handle };

	check(ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c) == 0, "close %u", handle);
}

/* Makes qxl validate the buffer into VRAM again (the ioctl then fails). */
static void touch_bo(int fd, unsigned int handle)
{
	struct drm_qxl_update_area u = { .handle = handle, .bottom = 1, .right = 1 };

	ioctl(fd, DRM_IOCTL_QXL_UPDATE_AREA, &u);
}

int main(void)
{
	char card[64];
	unsigned int a[8], b[14];
	long long sys_before;
	int fd, i;

	fd = qxl_open(card, sizeof(card));
	if (fd < 0)
		return 1;
	snprintf(vram, sizeof(vram), "%s/vram0", card);
	snprintf(sys, sizeof(sys), "%s/system", card);
	check(cg_get("", "drm.capacity", vram, NULL) > 8 * MB, "capacity of %s", vram);
	check(cg_get("", "drm.capacity", sys, NULL) > 0, "capacity of %s", sys);

	check(mkdir(CG "/qa", 0755) == 0 && mkdir(CG "/qb", 0755) == 0, "mkdir");

	/* Buffers are charged to the cgroup that creates them. */
	cg_enter("qa");
	for (i = 0; i < 4; i++) {
		a[i] = alloc_bo(fd, MB);
		check(a[i] != 0, "alloc %d", i);
	}
	check(CURRENT("qa", vram) == 4 * MB, "qa vram %lld", CURRENT("qa", vram));
	check(CURRENT("qb", vram) == 0, "qb vram %lld", CURRENT("qb", vram));
	check(CURRENT("", vram) >= 4 * MB, "root vram %lld", CURRENT("", vram));

	/* Lowering max reclaims through TTM: evicted bytes move to system. */
	check(put(CG "/qa/drm.max", "%s 2M", vram) == 0, "qa max");
	check(CURRENT("qa", vram) <= 2 * MB, "qa vram after max %lld", CURRENT("qa", vram));
	check(CURRENT("qa", sys) >= 2 * MB, "qa system after max %lld", CURRENT("qa", sys));
	check(cg_get("qa", "drm.stat", vram, "evicted") >= 2 * MB, "qa evicted %lld",
	      cg_get("qa", "drm.stat", vram, "evicted"));
	check(cg_get("qa", "drm.stat", vram, "evictions") >= 2, "qa evictions");

	/*
	 * qxl evicts system memory only to system memory: reclaiming the
	 * system region moves nothing and counts no eviction.
	 */
	sys_before = CURRENT("qa", sys);
	check(put(CG "/qa/drm.max", "%s 0", sys) == 0, "qa system max");
	check(CURRENT("qa", sys) == sys_before, "qa system %lld, was %lld",
	      CURRENT("qa", sys), sys_before);
	check(cg_get("qa", "drm.stat", sys, "evictions") == 0 &&
	      cg_get("qa", "drm.stat", sys, "evicted") == 0,
	      "evictions from system memory: %lld",
	      cg_get("qa", "drm.stat", sys, "evictions"));
	check(put(CG "/qa/drm.max", "%s max", sys) == 0, "qa system max reset");

	/* Re-validation by another cgroup's process is charged to the owner. */
	cg_enter("qb");
	for (i = 0; i < 4; i++)
		touch_bo(fd, a[i]);
	check(CURRENT("qb", vram) == 0, "qb charged for qa's buffers: %lld",
	      CURRENT("qb", vram));
	check(CURRENT("qb", sys) == 0, "qb system %lld", CURRENT("qb", sys));
	check(CURRENT("qa", vram) <= 2 * MB, "qa over its max: %lld", CURRENT("qa", vram));
	check(CURRENT("qa", vram) + CURRENT("qa", sys) == 4 * MB, "qa total %lld + %lld",
	      CURRENT("qa", vram), CURRENT("qa", sys));
	check(cg_get("qa", "drm.events", vram, "max") >= 1, "qa max events");

	for (i = 0; i < 4; i++)
		free_bo(fd, a[i]);
	check(CURRENT("qa", vram) == 0 && CURRENT("qa", sys) == 0, "qa after free");
	check(put(CG "/qa/drm.max", "%s max", vram) == 0, "qa max reset");

	/*
	 * Protection between two top-level cgroups when the device is full:
	 * qa's 8 MiB within its min stay in VRAM while qb fills the rest.
	 */
	check(put(CG "/qa/drm.min", "%s 8M", vram) == 0, "qa min");
	cg_enter("qa");
	for (i = 0; i < 8; i++)
		check((a[i] = alloc_bo(fd, MB)) != 0, "qa alloc %d", i);
	cg_enter("qb");
	for (i = 0; i < 14; i++)
		check((b[i] = alloc_bo(fd, MB)) != 0, "qb alloc %d", i);
	check(CURRENT("qa", vram) == 8 * MB, "protected qa evicted: %lld left",
	      CURRENT("qa", vram));
	check(CURRENT("qb", sys) > 0, "qb evicted nothing of its own");
	for (i = 0; i < 14; i++)
		free_bo(fd, b[i]);

	/* Without protection the same pressure evicts qa: the check can fail. */
	check(put(CG "/qa/drm.min", "%s 0", vram) == 0, "qa min 0");
	for (i = 0; i < 14; i++)
		check((b[i] = alloc_bo(fd, MB)) != 0, "qb alloc %d", i);
	check(CURRENT("qa", vram) < 8 * MB, "unprotected qa kept %lld",
	      CURRENT("qa", vram));
	for (i = 0; i < 14; i++)
		free_bo(fd, b[i]);
	for (i = 0; i < 8; i++)
		free_bo(fd, a[i]);

	/*
	 * Over-high cgroups are evicted first: qa's buffers are older (first
	 * in LRU order), but qb is above its high, so qb gives memory back.
	 */
	check(put(CG "/qb/drm.high", "%s 1M", vram) == 0, "qb high");
	cg_enter("qa");
	for (i = 0; i < 6; i++)
		check((a[i] = alloc_bo(fd, MB)) != 0, "qa alloc %d", i);
	cg_enter("qb");
	for (i = 0; i < 6; i++)
		check((b[i] = alloc_bo(fd, MB)) != 0, "qb alloc %d", i);
	check(cg_get("qb", "drm.events", vram, "high") >= 1, "qb high events");
	check(mkdir(CG "/qc", 0755) == 0, "mkdir qc");
	cg_enter("qc");
	for (i = 6; i < 14; i++)
		check((b[i] = alloc_bo(fd, MB)) != 0, "qc alloc %d", i);
	check(CURRENT("qa", vram) == 6 * MB, "under-high qa evicted: %lld left",
	      CURRENT("qa", vram));
	check(CURRENT("qb", vram) < 6 * MB, "over-high qb kept %lld", CURRENT("qb", vram));
	for (i = 0; i < 14; i++)
		free_bo(fd, b[i]);
	for (i = 0; i < 6; i++)
		free_bo(fd, a[i]);
	check(put(CG "/qb/drm.high", "%s max", vram) == 0, "qb high reset");

	/*
	 * A removed cgroup protects nothing: its buffers stay charged to it,
	 * but its min is reset, so they are evicted like anybody's.
	 */
	check(mkdir(CG "/qd", 0755) == 0, "mkdir qd");
	check(put(CG "/qd/drm.min", "%s 8M", vram) == 0, "qd min");
	cg_enter("qd");
	for (i = 0; i < 8; i++)
		check((a[i] = alloc_bo(fd, MB)) != 0, "qd alloc %d", i);
	cg_enter("");
	check(rmdir(CG "/qd") == 0, "rmdir qd with live buffers");
	/* The cgroup core takes it offline after an RCU grace period. */
	sleep(1);
	cg_enter("qb");
	for (i = 0; i < 14; i++)
		check((b[i] = alloc_bo(fd, MB)) != 0, "qb alloc %d", i);
	check(CURRENT("qb", vram) >= 12 * MB,
	      "removed qd still protected: qb has %lld of VRAM", CURRENT("qb", vram));
	for (i = 0; i < 14; i++)
		free_bo(fd, b[i]);
	for (i = 0; i < 8; i++)
		free_bo(fd, a[i]);

	cg_enter("");
	rmdir(CG "/qc");
	check(CURRENT("qa", vram) == 0 && CURRENT("qb", vram) == 0, "all freed");
	check(CURRENT("qa", sys) == 0 && CURRENT("qb", sys) == 0, "system freed");
	close(fd);
	rmdir(CG "/qa");
	rmdir(CG "/qb");
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: qxl\n");
	return 0;
}
