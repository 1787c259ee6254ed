/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Opening a DRM device by driver name for the C guest tests.
 */
#ifndef DRMCG_DRM_H
#define DRMCG_DRM_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm/drm.h>

#include "drmcg_find.h"
#include "drmcg_test.h"

/*
 * Opens the /dev/dri/card* whose driver is @driver (becoming DRM master if
 * nobody else is) and stores the card's key in the drm.* files in
 * @card[@len]: what drmGetUnique() returns, without the "pci:" bus prefix
 * the DRM core adds for PCI devices. Like libdrm, sets the interface
 * version first, which makes the device publish its unique name. Returns
 * the fd, or -1.
 */
static DRMCG_TEST_UNUSED int drm_open_driver(const char *driver, char *card,
					     size_t len)
{
	struct drm_set_version v = {
		.drm_di_major = 1, .drm_di_minor = 4,
		.drm_dd_major = -1, .drm_dd_minor = -1,
	};
	char path[64], unique[64];
	struct drm_unique u = {
		.unique_len = sizeof(unique) - 1, .unique = unique,
	};
	int fd = drm_find_driver(driver, path, sizeof(path));

	if (fd < 0) {
		printf("FAIL: no %s device\n", driver);
		failures++;
		return -1;
	}
	memset(unique, 0, sizeof(unique));
	check(ioctl(fd, DRM_IOCTL_SET_VERSION, &v) == 0, "SET_VERSION");
	check(ioctl(fd, DRM_IOCTL_GET_UNIQUE, &u) == 0, "GET_UNIQUE");
	snprintf(card, len, "%s", strncmp(unique, "pci:", 4) ? unique : unique + 4);
	printf("%s: %s, drmGetUnique() %s, card %s\n", driver, path, unique, card);
	return fd;
}

#endif /* DRMCG_DRM_H */
