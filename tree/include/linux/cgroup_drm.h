/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The drm cgroup controller: per-cgroup accounting, limits and protection
 * of GPU memory, per memory region of each DRM device.
 *
 * Drivers (directly or through TTM) register each memory region, charge
 * buffer placements to a pool (the state of one cgroup for one region),
 * uncharge them when the placement goes away, and ask the controller
 * which buffers may be evicted. See Documentation/gpu/drm-cgroup.rst.
 */
#ifndef _CGROUP_DRM_H
#define _CGROUP_DRM_H

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/types.h>

struct drmcg_region;
struct drmcg_pool;
struct drmcg_owner;

/**
 * struct drmcg_region_ops - driver callbacks of a memory region
 * @reclaim: evict at least @target_bytes of the buffers charged to @pool or
 *	to its descendants in this region. Called in process context, may
 *	sleep, never concurrently for one region. Return 0 when progress was
 *	made, -ENOSPC when nothing could be evicted, or another negative
 *	error code to stop reclaim. Used when drm.max or drm.high is lowered
 *	below a cgroup's usage.
 */
struct drmcg_region_ops {
	int (*reclaim)(struct drmcg_pool *pool, u64 target_bytes, void *priv);
};

/**
 * enum drmcg_evict_flags - flags of drmcg_evict_valuable()
 * @DRMCG_EVICT_IGNORE_LOW: also evict cgroups within their low protection
 *	(the second pass, after a first one found nothing).
 * @DRMCG_EVICT_NO_EVICT_OTHERS: only the evictor's own cgroup and its
 *	descendants may lose memory: for jobs that must not start by evicting
 *	another job.
 * @DRMCG_EVICT_ONLY_OVER_HIGH: only cgroups above their drm.high (or below an
 *	ancestor that is) are valuable: the first pass, so that over-high
 *	cgroups are evicted before anybody else.
 */
enum drmcg_evict_flags {
	DRMCG_EVICT_IGNORE_LOW = BIT(0),
	DRMCG_EVICT_NO_EVICT_OTHERS = BIT(1),
	DRMCG_EVICT_ONLY_OVER_HIGH = BIT(2),
};

#if IS_ENABLED(CONFIG_CGROUP_DRM)

struct drmcg_region *drmcg_register_region(const char *card, const char *name,
					   u64 size,
					   const struct drmcg_region_ops *ops,
					   void *priv);
void drmcg_unregister_region(struct drmcg_region *region);

struct drmcg_owner *drmcg_owner_get_current(void);
struct drmcg_owner *drmcg_owner_get(struct drmcg_owner *owner);
void drmcg_owner_put(struct drmcg_owner *owner);

int drmcg_try_charge(struct drmcg_region *region, u64 size,
		     struct drmcg_pool **ret_pool,
		     struct drmcg_pool **ret_limit_pool);
int drmcg_try_charge_owner(struct drmcg_region *region,
			   struct drmcg_owner *owner, u64 size,
			   struct drmcg_pool **ret_pool,
			   struct drmcg_pool **ret_limit_pool);
void drmcg_uncharge(struct drmcg_pool *pool, u64 size);
void drmcg_pool_put(struct drmcg_pool *pool);

int drmcg_pin(struct drmcg_pool *pool, u64 size);
void drmcg_unpin(struct drmcg_pool *pool, u64 size);

bool drmcg_evict_valuable(struct drmcg_pool *limit_pool,
			  struct drmcg_pool *test_pool,
			  struct drmcg_pool *evictor_pool,
			  unsigned int flags, bool *ret_hit_low);
void drmcg_report_eviction(struct drmcg_pool *pool, u64 size, bool hit_low);
bool drmcg_below_min(struct drmcg_pool *root, struct drmcg_pool *test);
bool drmcg_below_low(struct drmcg_pool *root, struct drmcg_pool *test);
struct drmcg_pool *drmcg_get_common_ancestor(struct drmcg_pool *a,
					     struct drmcg_pool *b);

#else /* CONFIG_CGROUP_DRM */

static inline struct drmcg_region *
drmcg_register_region(const char *card, const char *name, u64 size,
		      const struct drmcg_region_ops *ops, void *priv)
{
	return NULL;
}

static inline void drmcg_unregister_region(struct drmcg_region *region)
{
}

static inline struct drmcg_owner *drmcg_owner_get_current(void)
{
	return NULL;
}

static inline struct drmcg_owner *drmcg_owner_get(struct drmcg_owner *owner)
{
	return NULL;
}

static inline void drmcg_owner_put(struct drmcg_owner *owner)
{
}

static inline int drmcg_try_charge(struct drmcg_region *region, u64 size,
				   struct drmcg_pool **ret_pool,
				   struct drmcg_pool **ret_limit_pool)
{
	*ret_pool = NULL;
	if (ret_limit_pool)
		*ret_limit_pool = NULL;
	return 0;
}

static inline int drmcg_try_charge_owner(struct drmcg_region *region,
					 struct drmcg_owner *owner, u64 size,
					 struct drmcg_pool **ret_pool,
					 struct drmcg_pool **ret_limit_pool)
{
	return drmcg_try_charge(region, size, ret_pool, ret_limit_pool);
}

static inline void drmcg_uncharge(struct drmcg_pool *pool, u64 size)
{
}

static inline void drmcg_pool_put(struct drmcg_pool *pool)
{
}

static inline int drmcg_pin(struct drmcg_pool *pool, u64 size)
{
	return 0;
}

static inline void drmcg_unpin(struct drmcg_pool *pool, u64 size)
{
}

static inline bool drmcg_evict_valuable(struct drmcg_pool *limit_pool,
					struct drmcg_pool *test_pool,
					struct drmcg_pool *evictor_pool,
					unsigned int flags, bool *ret_hit_low)
{
	return true;
}

static inline void drmcg_report_eviction(struct drmcg_pool *pool, u64 size,
					 bool hit_low)
{
}

static inline bool drmcg_below_min(struct drmcg_pool *root,
				   struct drmcg_pool *test)
{
	return false;
}

static inline bool drmcg_below_low(struct drmcg_pool *root,
				   struct drmcg_pool *test)
{
	return false;
}

static inline struct drmcg_pool *drmcg_get_common_ancestor(struct drmcg_pool *a,
							   struct drmcg_pool *b)
{
	return NULL;
}

#endif /* CONFIG_CGROUP_DRM */
#endif /* _CGROUP_DRM_H */
