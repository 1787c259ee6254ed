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
#include <linux/string.h>
#include <linux/types.h>

struct drmcg_region;
struct drmcg_pool;
struct drmcg_owner;

/**
 * struct drmcg_pool_stat - a snapshot of a pool's counters
 * @usage: bytes charged to the pool's cgroup and its descendants
 * @pinned: of these, bytes reported pinned
 * @evicted_bytes: bytes evicted from the pool's subtree so far
 * @evictions: evictions from the pool's subtree so far
 *
 * Each field is read on its own; the fields of one snapshot may come from
 * different instants when other threads charge concurrently.
 */
struct drmcg_pool_stat {
	u64 usage;
	u64 pinned;
	u64 evicted_bytes;
	u64 evictions;
};

/**
 * struct drmcg_region_ops - driver callbacks of a memory region
 * @reclaim: evict at least @target_bytes of the buffers charged to @pool or
 *	to its descendants in this region. Called in process context, may
 *	sleep, and may run concurrently with other calls for the region, as
 *	dmem's callback does. Only moves out of the region free anything:
 *	leave alone buffers that eviction would place in it again. Return 0
 *	when progress was made, -ENOSPC (at once) when nothing could leave the
 *	region, or another negative error code to stop reclaim. Used when
 *	drm.max or drm.high is lowered below a cgroup's usage.
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
 *	another job. Buffers charged to no cgroup (the driver's own, or
 *	placed before the region was registered) belong to no other job and
 *	stay evictable when the device is full.
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

/**
 * drmcg_register_region() - register a memory region of a device
 * @card: the device's DRM unique name (drm_device.unique)
 * @name: the region's name, e.g. "vram0"
 * @size: the region's size in bytes
 * @ops: callbacks, or NULL; must stay valid until unregistered
 * @priv: passed to @ops
 *
 * The region's key in the drm.* files is "<card>/<name>". Neither part may
 * be empty or contain whitespace or '/', and the key is at most 64 bytes.
 * DRM drivers should use drmm_drmcg_register_region().
 *
 * Return: the region, or an ERR_PTR(): -EINVAL for a bad name or a size of
 * 0, -EEXIST if the key is registered, -ENOSPC when too many regions
 * exist, -ENOMEM.
 */
struct drmcg_region *drmcg_register_region(const char *card, const char *name,
					   u64 size,
					   const struct drmcg_region_ops *ops,
					   void *priv);

/**
 * drmcg_unregister_region() - unregister a memory region
 * @region: the region, or NULL
 *
 * New charges in @region fail with -ENODEV and its key disappears from the
 * drm.* files. Waits for a running reclaim callback; none is called
 * afterwards. Charges outstanding stay valid until uncharged. Must not be
 * called with a lock held that the reclaim callback takes.
 */
void drmcg_unregister_region(struct drmcg_region *region);

/**
 * drmcg_owner_get_current() - the current task's cgroup, as a buffer owner
 *
 * Return: the owner, with a reference to drop with drmcg_owner_put().
 */
struct drmcg_owner *drmcg_owner_get_current(void);

/**
 * drmcg_owner_get() - take another reference on an owner
 * @owner: an owner the caller holds a reference on, or NULL
 *
 * Return: @owner.
 */
struct drmcg_owner *drmcg_owner_get(struct drmcg_owner *owner);

/**
 * drmcg_owner_put() - drop a reference on an owner
 * @owner: the owner, or NULL
 */
void drmcg_owner_put(struct drmcg_owner *owner);

/**
 * drmcg_try_charge() - charge bytes of a region to the current task's cgroup
 * @region: a registered region
 * @size: bytes to charge
 * @ret_pool: set to the charged pool, with a reference, on success
 * @ret_limit_pool: if not NULL, set on -EAGAIN to the pool whose max refused
 *	the charge, with a reference to drop with drmcg_pool_put()
 *
 * The charge applies to the cgroup and all its ancestors. May sleep the
 * first time a cgroup uses a region (the pool is allocated).
 *
 * Return: 0; -EAGAIN when a max refused the charge (never pass it on to
 * user space); -ENODEV if @region is unregistered; -ENOMEM.
 */
int drmcg_try_charge(struct drmcg_region *region, u64 size,
		     struct drmcg_pool **ret_pool,
		     struct drmcg_pool **ret_limit_pool);

/**
 * drmcg_try_charge_owner() - charge bytes of a region to a buffer's owner
 * @region: a registered region
 * @owner: the owner, or NULL for the current task's cgroup
 * @size: bytes to charge
 * @ret_pool: as for drmcg_try_charge()
 * @ret_limit_pool: as for drmcg_try_charge()
 *
 * Return: as drmcg_try_charge().
 */
int drmcg_try_charge_owner(struct drmcg_region *region,
			   struct drmcg_owner *owner, u64 size,
			   struct drmcg_pool **ret_pool,
			   struct drmcg_pool **ret_limit_pool);

/**
 * drmcg_force_charge_owner() - charge bytes to an owner beyond its limits
 * @region: a registered region
 * @owner: the owner, or NULL for the current task's cgroup
 * @size: bytes to charge
 * @ret_pool: set on success to the charged pool, with a reference
 *
 * Charges like drmcg_try_charge_owner() but whatever drm.max says, for
 * placements that must not fail: the destination of an eviction, which a
 * limit of the victim's own must not veto. Usage may end above max, as
 * after max is lowered.
 *
 * Return: 0; -ENODEV if @region is unregistered; -ENOMEM.
 */
int drmcg_force_charge_owner(struct drmcg_region *region,
			     struct drmcg_owner *owner, u64 size,
			     struct drmcg_pool **ret_pool);

/**
 * drmcg_get_owner_pool() - the pool of an owner in a region
 * @region: a registered region
 * @owner: the owner, or NULL for the current task's cgroup
 *
 * For callers that need the evictor's pool when its charge was refused
 * (drmcg_try_charge() returns no pool then), e.g. to evict only within
 * its own subtree.
 *
 * Return: the pool, with a reference; ERR_PTR(-ENODEV) if @region is
 * unregistered; ERR_PTR(-ENOMEM).
 */
struct drmcg_pool *drmcg_get_owner_pool(struct drmcg_region *region,
					struct drmcg_owner *owner);

/**
 * drmcg_uncharge() - give back charged bytes and the pool reference
 * @pool: the pool they were charged to, or NULL
 * @size: bytes to give back
 *
 * Gives back @size bytes, then drops the reference on @pool that came with
 * the charge, as drmcg_pool_put() does (and as dmem_cgroup_uncharge() does
 * for dmem): each successful charge is ended by one call, with no
 * drmcg_pool_put() after it. A caller that gives back a charge in parts,
 * or keeps using @pool afterwards, takes a reference for each call with
 * drmcg_pool_get(). Giving back more than is charged is a bug: it warns
 * and changes nothing but the reference. Bytes reported pinned are to be
 * unpinned first (drmcg_unpin()); the controller cannot check this
 * against racing charges.
 *
 * Context: Any context; does not sleep, also when it drops the last
 * reference to a pool or to an unregistered region.
 */
void drmcg_uncharge(struct drmcg_pool *pool, u64 size);

/**
 * drmcg_pool_get() - take another pool reference
 * @pool: a pool the caller holds a reference on, or NULL
 *
 * Return: @pool.
 */
struct drmcg_pool *drmcg_pool_get(struct drmcg_pool *pool);

/**
 * drmcg_pool_put() - drop a pool reference
 * @pool: the pool, or NULL
 *
 * Context: Any context; does not sleep.
 */
void drmcg_pool_put(struct drmcg_pool *pool);

/**
 * drmcg_region_has_high() - may a cgroup be above its drm.high here?
 * @region: a registered region
 *
 * A hint for eviction: until a cgroup sets a drm.high below max in
 * @region, no cgroup can be above its high there, and a first eviction
 * pass with DRMCG_EVICT_ONLY_OVER_HIGH would find nothing. Never cleared.
 *
 * Return: true once a cgroup set a finite drm.high in @region.
 */
bool drmcg_region_has_high(struct drmcg_region *region);

/**
 * drmcg_pool_read_stat() - read a pool's counters
 * @pool: the pool, with a reference held by the caller
 * @stat: where to store them
 *
 * For drivers that report usage (e.g. in fdinfo) and for tests.
 */
void drmcg_pool_read_stat(struct drmcg_pool *pool,
			  struct drmcg_pool_stat *stat);

/**
 * drmcg_pin() - report charged bytes as pinned (not evictable)
 * @pool: the pool they are charged to
 * @size: bytes
 *
 * Return: 0, or -EINVAL if more bytes would be pinned than are charged.
 */
int drmcg_pin(struct drmcg_pool *pool, u64 size);

/**
 * drmcg_unpin() - report pinned bytes as evictable again
 * @pool: the pool they are charged to
 * @size: bytes
 */
void drmcg_unpin(struct drmcg_pool *pool, u64 size);

/**
 * drmcg_evict_valuable() - may a buffer be evicted to make room?
 * @limit_pool: the pool whose max refused the evictor's charge, or NULL
 *	when the device is full
 * @test_pool: the candidate buffer's pool; NULL (never charged) is
 *	evictable when the device is full, never for a limit
 * @evictor_pool: the pool of the allocation that needs room, or NULL
 * @flags: &enum drmcg_evict_flags
 * @ret_hit_low: if not NULL, set to true when the candidate is within its
 *	low protection (whether or not DRMCG_EVICT_IGNORE_LOW allows it)
 *
 * A candidate outside @limit_pool's subtree is not valuable. Without a
 * limit, the candidate's protection is computed below the lowest common
 * ancestor of evictor and candidate, the root included. Memory within its
 * effective min is never valuable. Costs O(depth of the hierarchy).
 *
 * Return: true if the buffer may be evicted.
 */
bool drmcg_evict_valuable(struct drmcg_pool *limit_pool,
			  struct drmcg_pool *test_pool,
			  struct drmcg_pool *evictor_pool,
			  unsigned int flags, bool *ret_hit_low);

/**
 * drmcg_report_eviction() - report an eviction
 * @pool: the evicted buffer's pool, or NULL
 * @size: bytes evicted
 * @hit_low: what drmcg_evict_valuable() returned in @ret_hit_low; counts a
 *	low event
 *
 * Feeds drm.stat. Uncharging the bytes is separate (drmcg_uncharge()).
 */
void drmcg_report_eviction(struct drmcg_pool *pool, u64 size, bool hit_low);

/**
 * drmcg_below_min() - is a pool within its effective min protection?
 * @root: the pool protection is computed below, or NULL for the root
 * @test: the pool
 *
 * Return: true if @test's usage is within its effective min.
 */
bool drmcg_below_min(struct drmcg_pool *root, struct drmcg_pool *test);

/**
 * drmcg_below_low() - is a pool within its effective low protection?
 * @root: the pool protection is computed below, or NULL for the root
 * @test: the pool
 *
 * Return: true if @test's usage is within its effective low.
 */
bool drmcg_below_low(struct drmcg_pool *root, struct drmcg_pool *test);

/**
 * drmcg_get_common_ancestor() - the pool of the nearest common ancestor
 * @a: a pool, or NULL
 * @b: a pool of the same region, or NULL
 *
 * Return: the pool of the nearest cgroup that is an ancestor of (or equal
 * to) both, with a reference; NULL if either is NULL or the regions differ.
 */
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

static inline int drmcg_force_charge_owner(struct drmcg_region *region,
					   struct drmcg_owner *owner, u64 size,
					   struct drmcg_pool **ret_pool)
{
	*ret_pool = NULL;
	return 0;
}

static inline struct drmcg_pool *
drmcg_get_owner_pool(struct drmcg_region *region, struct drmcg_owner *owner)
{
	return NULL;
}

static inline void drmcg_uncharge(struct drmcg_pool *pool, u64 size)
{
}

static inline struct drmcg_pool *drmcg_pool_get(struct drmcg_pool *pool)
{
	return pool;
}

static inline void drmcg_pool_put(struct drmcg_pool *pool)
{
}

static inline bool drmcg_region_has_high(struct drmcg_region *region)
{
	return false;
}

static inline void drmcg_pool_read_stat(struct drmcg_pool *pool,
					struct drmcg_pool_stat *stat)
{
	memset(stat, 0, sizeof(*stat));
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
