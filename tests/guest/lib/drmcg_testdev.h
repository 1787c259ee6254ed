/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TTM test device's ioctls (drmcg_test_drm.h) for the C guest tests,
 * and the cgroup helpers they share.
 */
#ifndef DRMCG_TESTDEV_H
#define DRMCG_TESTDEV_H

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <drm/drm.h>
#include "drmcg_test_drm.h"

#include "drmcg_test.h"

/* Creates a buffer: its handle, or -errno. */
static DRMCG_TEST_UNUSED long long tdev_create(int fd, long long size,
					       unsigned int domains,
					       unsigned int flags)
{
	struct drm_drmcg_test_create c = {
		.size = size, .domains = domains, .flags = flags,
	};

	return ioctl(fd, DRM_IOCTL_DRMCG_TEST_CREATE, &c) ? -errno :
							       (long long)c.handle;
}

/* Creates a buffer that must succeed: its handle, or 0 (a failed check). */
static DRMCG_TEST_UNUSED unsigned int tdev_new_bo(int fd, long long size,
						  unsigned int domains)
{
	long long h = tdev_create(fd, size, domains, 0);

	check(h > 0, "create %lld in %#x: %lld", size, domains, h);
	return h > 0 ? h : 0;
}

/* Places a buffer again within @domains: 0 or -errno. */
static DRMCG_TEST_UNUSED int tdev_validate(int fd, unsigned int handle,
					   unsigned int domains,
					   unsigned int flags)
{
	struct drm_drmcg_test_validate v = {
		.handle = handle, .domains = domains, .flags = flags,
	};

	return ioctl(fd, DRM_IOCTL_DRMCG_TEST_VALIDATE, &v) ? -errno : 0;
}

/* The domain a buffer is in, or -errno. */
static DRMCG_TEST_UNUSED int tdev_where(int fd, unsigned int handle)
{
	struct drm_drmcg_test_query q = { .handle = handle };

	return ioctl(fd, DRM_IOCTL_DRMCG_TEST_QUERY, &q) ? -errno : (int)q.domain;
}

/* Closes a buffer's handle, which must succeed. */
static DRMCG_TEST_UNUSED void tdev_release(int fd, unsigned int handle)
{
	struct drm_gem_close c = { .handle = handle };

	check(ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c) == 0, "close %u", handle);
}

/* Creates cgroup @cg (a path relative to CG), which must succeed. */
static DRMCG_TEST_UNUSED void cg_mkdir(const char *cg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", CG, cg);
	check(mkdir(path, 0755) == 0, "mkdir %s: %s", cg, strerror(errno));
}

/* Removes cgroup @cg, which must succeed. */
static DRMCG_TEST_UNUSED void cg_rmdir(const char *cg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", CG, cg);
	check(rmdir(path) == 0, "rmdir %s: %s", cg, strerror(errno));
}

/* @cg's drm.current in region @key, or -1. */
static DRMCG_TEST_UNUSED long long drm_current(const char *cg, const char *key)
{
	return cg_get(cg, "drm.current", key, NULL);
}

/* The field @name of @cg's drm.stat in region @key, or -1. */
static DRMCG_TEST_UNUSED long long drm_stat(const char *cg, const char *key,
					    const char *name)
{
	return cg_get(cg, "drm.stat", key, name);
}

#endif /* DRMCG_TESTDEV_H */
