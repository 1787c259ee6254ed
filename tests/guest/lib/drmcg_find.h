/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding a DRM device by driver name, for the guest tests and benchmarks;
 * no other helper of tests/guest/lib is needed.
 */
#ifndef DRMCG_FIND_H
#define DRMCG_FIND_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm/drm.h>

/*
 * Opens the first /dev/dri/card* whose driver is @driver and stores its path
 * in @path[@len] if @path is not NULL. Returns the fd, or -1 if there is none
 * (a device being unbound may vanish at any moment: nothing is reported).
 */
static inline int drm_find_driver(const char *driver, char *path, size_t len)
{
	char dev[64], name[64];
	int i, fd;

	for (i = 0; i < 64; i++) {
		struct drm_version ver = {
			.name_len = sizeof(name) - 1, .name = name,
		};

		snprintf(dev, sizeof(dev), "/dev/dri/card%d", i);
		fd = open(dev, O_RDWR);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION, &ver) && !strcmp(name, driver)) {
			if (path)
				snprintf(path, len, "%s", dev);
			return fd;
		}
		close(fd);
	}
	return -1;
}

#endif /* DRMCG_FIND_H */
