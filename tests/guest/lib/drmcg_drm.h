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
	char path[64], name[64], unique[64];
	int i, fd;

	for (i = 0; i < 16; i++) {
		struct drm_version ver = {
			.name_len = sizeof(name) - 1, .name = name,
		};
		struct drm_unique u = {
			.unique_len = sizeof(unique) - 1, .unique = unique,
		};

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (ioctl(fd, DRM_IOCTL_VERSION, &ver) || strcmp(name, driver)) {
			close(fd);
			continue;
		}
		memset(unique, 0, sizeof(unique));
		check(ioctl(fd, DRM_IOCTL_SET_VERSION, &v) == 0, "SET_VERSION");
		check(ioctl(fd, DRM_IOCTL_GET_UNIQUE, &u) == 0, "GET_UNIQUE");
		snprintf(card, len, "%s",
			 strncmp(unique, "pci:", 4) ? unique : unique + 4);
		printf("%s: %s, drmGetUnique() %s, card %s\n", driver, path,
		       unique, card);
		return fd;
	}
	printf("FAIL: no %s device\n", driver);
	failures++;
	return -1;
}

#endif /* DRMCG_DRM_H */
