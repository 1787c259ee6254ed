/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Opening the guest's qxl GPU for the C guest tests.
 */
#ifndef DRMCG_QXL_H
#define DRMCG_QXL_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/qxl_drm.h>

#include "drmcg_test.h"

/*
 * Opens /dev/dri/card0 (as DRM master: qxl lets only the master allocate)
 * and stores the card's key in the drm.* files, @card[@len]: what
 * drmGetUnique() returns, without the "pci:" bus prefix the DRM core adds
 * for PCI devices. Like libdrm, sets the interface version first, which
 * makes the device publish its unique name. Returns the fd, or -1.
 */
static DRMCG_TEST_UNUSED int qxl_open(char *card, size_t len)
{
	struct drm_set_version v = {
		.drm_di_major = 1, .drm_di_minor = 4,
		.drm_dd_major = -1, .drm_dd_minor = -1,
	};
	char unique[64] = "";
	struct drm_unique u = {
		.unique_len = sizeof(unique) - 1,
		.unique = unique,
	};
	int fd = open("/dev/dri/card0", O_RDWR);

	if (fd < 0) {
		printf("FAIL: no qxl device\n");
		return -1;
	}
	check(ioctl(fd, DRM_IOCTL_SET_VERSION, &v) == 0, "SET_VERSION");
	check(ioctl(fd, DRM_IOCTL_GET_UNIQUE, &u) == 0, "GET_UNIQUE");
	snprintf(card, len, "%s", strncmp(unique, "pci:", 4) ? unique : unique + 4);
	printf("drmGetUnique() %s, card %s\n", unique, card);
	return fd;
}

#endif /* DRMCG_QXL_H */
