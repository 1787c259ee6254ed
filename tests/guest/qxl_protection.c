// SPDX-License-Identifier: GPL-2.0
/*
 * test_memcg_protection() on qxl's VRAM (lib/drmcg_protection.h), with
 * memcg's figures divided by 20 to fit qxl's 16 MiB. Static binary run in
 * the guest; tiles.c runs the same at full scale on the test device.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/qxl_drm.h>

#include "drmcg_protection.h"
#include "drmcg_qxl.h"

static unsigned int qxl_alloc(int fd, long long size)
{
	struct drm_qxl_alloc a = { .size = size };

	return ioctl(fd, DRM_IOCTL_QXL_ALLOC, &a) ? 0 : a.handle;
}

static void qxl_release(int fd, unsigned int handle)
{
	struct drm_gem_close cl = { .handle = handle };

	check(ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl) == 0, "close %u", handle);
}

int main(void)
{
	char card[64], vram[128];
	struct prot_device d = {
		.key = vram, .scale = 20, .alloc = qxl_alloc, .release = qxl_release,
	};

	d.fd = qxl_open(card, sizeof(card));
	if (d.fd < 0)
		return 1;
	snprintf(vram, sizeof(vram), "%s/vram0", card);

	prot_run(&d, "drm.min");
	prot_run(&d, "drm.low");
	close(d.fd);
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: qxl protection\n");
	return 0;
}
