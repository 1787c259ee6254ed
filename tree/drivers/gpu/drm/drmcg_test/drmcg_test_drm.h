/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Interface of the drm cgroup test device (CONFIG_DRM_DRMCG_TEST): a
 * TTM device with two VRAM tiles and a system domain, for testing the drm
 * cgroup controller's accounting and eviction. Not a stable ABI: the
 * header stays with the driver, and only the controller's own tests use
 * it (built against the kernel's UAPI headers).
 */
#ifndef _DRMCG_TEST_DRM_H_
#define _DRMCG_TEST_DRM_H_

#include <drm/drm.h>

#if defined(__cplusplus)
extern "C" {
#endif

/* Placement domains, in order of preference when several are given. */
#define DRMCG_TEST_DOMAIN_TILE0		0x1
#define DRMCG_TEST_DOMAIN_TILE1		0x2
#define DRMCG_TEST_DOMAIN_SYSTEM	0x4
#define DRMCG_TEST_DOMAINS		(DRMCG_TEST_DOMAIN_TILE0 | \
					 DRMCG_TEST_DOMAIN_TILE1 | \
					 DRMCG_TEST_DOMAIN_SYSTEM)

/*
 * Flags of create and validate:
 * NO_EVICT_OTHERS: make room only by evicting the caller's own cgroup (and
 *	its descendants); fail with ENOSPC rather than evict another's.
 * PIN: pin the buffer where it lands (create, validate); EBUSY if it is
 *	pinned already.
 * UNPIN: unpin it (validate only, before the placement is changed; pinned
 *	again if that fails).
 */
#define DRMCG_TEST_NO_EVICT_OTHERS	0x1
#define DRMCG_TEST_PIN			0x2
#define DRMCG_TEST_UNPIN		0x4

/**
 * struct drm_drmcg_test_create - create a buffer
 * @size: bytes, rounded up to pages; at most the largest of @domains
 * @domains: DRMCG_TEST_DOMAIN_*, at least one
 * @flags: DRMCG_TEST_NO_EVICT_OTHERS, DRMCG_TEST_PIN
 * @handle: out, the GEM handle; free it with DRM_IOCTL_GEM_CLOSE
 * @pad: zero
 *
 * The buffer is charged to the creating task's cgroup wherever it is
 * placed, whoever moves it later.
 */
struct drm_drmcg_test_create {
	__u64 size;
	__u32 domains;
	__u32 flags;
	__u32 handle;
	__u32 pad;
};

/**
 * struct drm_drmcg_test_validate - place a buffer again ("touch" it)
 * @handle: the buffer
 * @domains: DRMCG_TEST_DOMAIN_*, at least one
 * @flags: DRMCG_TEST_NO_EVICT_OTHERS, DRMCG_TEST_PIN, DRMCG_TEST_UNPIN
 * @pad: zero
 *
 * Moves the buffer into @domains if it is not there, evicting others as
 * TTM and the drm cgroup allow.
 */
struct drm_drmcg_test_validate {
	__u32 handle;
	__u32 domains;
	__u32 flags;
	__u32 pad;
};

/**
 * struct drm_drmcg_test_query - where a buffer is
 * @handle: the buffer
 * @domain: out, the DRMCG_TEST_DOMAIN_* it is placed in, 0 if none
 * @pin_count: out, how often it is pinned
 * @pad: zero
 */
struct drm_drmcg_test_query {
	__u32 handle;
	__u32 domain;
	__u32 pin_count;
	__u32 pad;
};

#define DRM_DRMCG_TEST_CREATE		0x00
#define DRM_DRMCG_TEST_VALIDATE		0x01
#define DRM_DRMCG_TEST_QUERY		0x02

#define DRM_IOCTL_DRMCG_TEST_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_DRMCG_TEST_CREATE, \
		 struct drm_drmcg_test_create)
#define DRM_IOCTL_DRMCG_TEST_VALIDATE \
	DRM_IOW(DRM_COMMAND_BASE + DRM_DRMCG_TEST_VALIDATE, \
		struct drm_drmcg_test_validate)
#define DRM_IOCTL_DRMCG_TEST_QUERY \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_DRMCG_TEST_QUERY, \
		 struct drm_drmcg_test_query)

#if defined(__cplusplus)
}
#endif

#endif /* _DRMCG_TEST_DRM_H_ */
