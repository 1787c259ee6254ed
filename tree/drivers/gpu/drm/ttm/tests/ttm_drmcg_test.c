// SPDX-License-Identifier: GPL-2.0 AND MIT
/*
 * KUnit tests of TTM's accounting with the drm cgroup controller: charges
 * follow a buffer's placements, pinned placements are reported, evictions
 * move the charge and are counted, and the reclaim entry points evict a
 * pool's buffers.
 *
 * KUnit runs in the root cgroup, so every charge lands in the root cgroup's
 * pool of its region. Each test registers regions of its own, so the pools
 * start empty.
 */
#include <linux/cgroup_drm.h>

#include <drm/ttm/ttm_resource.h>
#include <drm/ttm/ttm_placement.h>
#include <drm/ttm/ttm_tt.h>

#include "ttm_kunit_helpers.h"
#include "ttm_mock_manager.h"

#define MANAGER_SIZE	SZ_1M
#define TEST_CARD	"kunit-ttm"

/*
 * The accounted "VRAM" of the tests is TTM_PL_TT: the test device's
 * evict_flags move buffers from TT to TTM_PL_MOCK2, the second accounted
 * region, without a multihop.
 */
#define VRAM_MEM	TTM_PL_TT
#define SYS_MEM		TTM_PL_MOCK2

#define MAX_REGIONS	2
#define MAX_MANAGERS	2
#define MAX_BOS		8
#define MAX_POOLS	4

/*
 * What a test set up, torn down by the suite's exit even when an assertion
 * ended the test early.
 */
struct ttm_drmcg_test {
	struct ttm_test_devices *devs;
	struct drmcg_region *regions[MAX_REGIONS];
	unsigned int nr_regions;
	u32 managers[MAX_MANAGERS];
	unsigned int nr_managers;
	struct ttm_buffer_object *bos[MAX_BOS];
	unsigned int nr_bos;
	struct drmcg_pool *pools[MAX_POOLS];
	unsigned int nr_pools;
};

static struct drmcg_region *
ttm_drmcg_region(struct kunit *test, const char *name,
		 const struct drmcg_region_ops *ops, void *priv)
{
	struct ttm_drmcg_test *t = test->priv;
	struct drmcg_region *region;

	if (!IS_ENABLED(CONFIG_CGROUP_DRM))
		kunit_skip(test, "needs CONFIG_CGROUP_DRM");

	KUNIT_ASSERT_LT(test, t->nr_regions, MAX_REGIONS);
	region = drmcg_register_region(TEST_CARD, name, MANAGER_SIZE, ops,
				       priv);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, region);
	t->regions[t->nr_regions++] = region;

	return region;
}

/* A mock manager of @mem_type accounted in @region (NULL: not accounted). */
static struct ttm_resource_manager *
ttm_drmcg_manager(struct kunit *test, u32 mem_type,
		  struct drmcg_region *region)
{
	struct ttm_drmcg_test *t = test->priv;
	struct ttm_resource_manager *man;
	int err;

	KUNIT_ASSERT_LT(test, t->nr_managers, MAX_MANAGERS);
	err = ttm_mock_manager_init(t->devs->ttm_dev, mem_type, MANAGER_SIZE);
	KUNIT_ASSERT_EQ(test, err, 0);
	t->managers[t->nr_managers++] = mem_type;

	man = ttm_manager_type(t->devs->ttm_dev, mem_type);
	KUNIT_ASSERT_NOT_NULL(test, man);
	ttm_resource_manager_set_drmcg_region(man, region);

	return man;
}

static struct ttm_device *ttm_drmcg_dev(struct kunit *test)
{
	struct ttm_drmcg_test *t = test->priv;

	return t->devs->ttm_dev;
}

static struct ttm_placement *ttm_drmcg_placement(struct kunit *test,
						 u32 mem_type)
{
	struct ttm_placement *placement;

	placement = kunit_kzalloc(test, sizeof(*placement), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, placement);
	placement->placement = ttm_place_kunit_init(test, mem_type, 0);
	placement->num_placement = 1;

	return placement;
}

/*
 * Creates a buffer with ttm_bo_init_reserved(), so that its owner is the
 * current task's cgroup, and places it in @mem_type.
 *
 * Return: 0 and the unreserved buffer in @ret_bo, or the error of
 * ttm_bo_init_reserved() (the buffer is then gone).
 */
static int ttm_drmcg_bo_create(struct kunit *test, u32 mem_type, size_t size,
			       struct ttm_operation_ctx *ctx,
			       struct ttm_buffer_object **ret_bo)
{
	struct ttm_drmcg_test *t = test->priv;
	struct ttm_buffer_object *bo;
	int err;

	KUNIT_ASSERT_LT(test, t->nr_bos, MAX_BOS);
	bo = kunit_kzalloc(test, sizeof(*bo), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bo);
	drm_gem_private_object_init(t->devs->drm, &bo->base, size);

	err = ttm_bo_init_reserved(t->devs->ttm_dev, bo, ttm_bo_type_device,
				   ttm_drmcg_placement(test, mem_type),
				   PAGE_SIZE, ctx, NULL, NULL,
				   &dummy_ttm_bo_destroy);
	if (err)
		return err;
	dma_resv_unlock(bo->base.resv);
	t->bos[t->nr_bos++] = bo;
	*ret_bo = bo;

	return 0;
}

static struct ttm_buffer_object *ttm_drmcg_bo(struct kunit *test,
					      u32 mem_type, size_t size)
{
	struct ttm_operation_ctx ctx = { };
	struct ttm_buffer_object *bo;
	int err;

	err = ttm_drmcg_bo_create(test, mem_type, size, &ctx, &bo);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_NOT_NULL(test, bo->resource);
	KUNIT_ASSERT_EQ(test, bo->resource->mem_type, mem_type);

	return bo;
}

static void ttm_drmcg_bo_free(struct kunit *test, struct ttm_buffer_object *bo)
{
	struct ttm_drmcg_test *t = test->priv;
	unsigned int i;

	for (i = 0; i < t->nr_bos; i++)
		if (t->bos[i] == bo)
			t->bos[i] = NULL;
	ttm_bo_fini(bo);
}

/* Takes a pool reference of the test's own, dropped by the suite's exit. */
static struct drmcg_pool *ttm_drmcg_hold_pool(struct kunit *test,
					      struct drmcg_pool *pool)
{
	struct ttm_drmcg_test *t = test->priv;

	KUNIT_ASSERT_NOT_NULL(test, pool);
	KUNIT_ASSERT_LT(test, t->nr_pools, MAX_POOLS);
	t->pools[t->nr_pools++] = drmcg_pool_get(pool);

	return pool;
}

static struct drmcg_pool_stat ttm_drmcg_stat(struct drmcg_pool *pool)
{
	struct drmcg_pool_stat stat;

	drmcg_pool_read_stat(pool, &stat);
	return stat;
}

static int ttm_drmcg_test_init(struct kunit *test)
{
	struct ttm_drmcg_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;
	t->devs = ttm_test_devices_all(test);

	return 0;
}

static void ttm_drmcg_test_fini(struct kunit *test)
{
	struct ttm_drmcg_test *t = test->priv;
	struct ttm_resource_manager *man;
	struct ttm_buffer_object *bo;
	unsigned int i;

	if (!t || !t->devs)
		return;

	for (i = t->nr_bos; i-- > 0;) {
		bo = t->bos[i];
		if (!bo)
			continue;
		if (bo->pin_count) {
			dma_resv_lock(bo->base.resv, NULL);
			while (bo->pin_count)
				ttm_bo_unpin(bo);
			dma_resv_unlock(bo->base.resv);
		}
		ttm_bo_fini(bo);
	}
	/* Detach the regions before unregistering them. */
	man = ttm_manager_type(t->devs->ttm_dev, TTM_PL_SYSTEM);
	ttm_resource_manager_set_drmcg_region(man, NULL);
	for (i = 0; i < t->nr_managers; i++) {
		man = ttm_manager_type(t->devs->ttm_dev, t->managers[i]);
		ttm_resource_manager_set_drmcg_region(man, NULL);
	}
	for (i = 0; i < t->nr_regions; i++)
		drmcg_unregister_region(t->regions[i]);
	for (i = t->nr_managers; i-- > 0;)
		ttm_mock_manager_fini(t->devs->ttm_dev, t->managers[i]);
	for (i = 0; i < t->nr_pools; i++)
		drmcg_pool_put(t->pools[i]);
	ttm_test_devices_put(test, t->devs);
}

/*
 * A placement in an accounted manager is charged to the buffer's owner in
 * the manager's region, and freeing the buffer gives the charge back.
 */
static void ttm_drmcg_charge_uncharge(struct kunit *test)
{
	struct ttm_buffer_object *bo1, *bo2;
	struct drmcg_region *vram;
	struct drmcg_pool *pool;
	size_t size1 = SZ_64K, size2 = SZ_128K;

	vram = ttm_drmcg_region(test, "charge-vram", NULL, NULL);
	ttm_drmcg_manager(test, VRAM_MEM, vram);

	bo1 = ttm_drmcg_bo(test, VRAM_MEM, size1);
	KUNIT_EXPECT_NOT_NULL(test, bo1->drmcg_owner);
	pool = ttm_drmcg_hold_pool(test, bo1->resource->drmcg);
	KUNIT_EXPECT_FALSE(test, bo1->resource->drmcg_pinned);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, size1);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, 0);

	/* Same owner, same region: the same pool. */
	bo2 = ttm_drmcg_bo(test, VRAM_MEM, size2);
	KUNIT_EXPECT_PTR_EQ(test, bo2->resource->drmcg, pool);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, size1 + size2);

	ttm_drmcg_bo_free(test, bo2);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, size1);
	ttm_drmcg_bo_free(test, bo1);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).evictions, 0);
}

/*
 * A manager without a region charges nothing; moving the buffer into an
 * accounted manager charges it, moving it out again gives the charge back.
 */
static void ttm_drmcg_no_region(struct kunit *test)
{
	struct ttm_placement *to_vram, *to_sys;
	struct ttm_operation_ctx ctx = { };
	struct ttm_buffer_object *bo;
	struct drmcg_region *sys;
	struct drmcg_pool *pool;
	size_t size = SZ_64K;
	int err;

	to_vram = ttm_drmcg_placement(test, VRAM_MEM);
	to_sys = ttm_drmcg_placement(test, SYS_MEM);
	sys = ttm_drmcg_region(test, "noregion-sys", NULL, NULL);
	ttm_drmcg_manager(test, VRAM_MEM, NULL);
	ttm_drmcg_manager(test, SYS_MEM, sys);

	bo = ttm_drmcg_bo(test, VRAM_MEM, size);
	KUNIT_EXPECT_NULL(test, bo->resource->drmcg);

	dma_resv_lock(bo->base.resv, NULL);
	err = ttm_bo_validate(bo, to_sys, &ctx);
	dma_resv_unlock(bo->base.resv);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_EQ(test, bo->resource->mem_type, SYS_MEM);
	pool = ttm_drmcg_hold_pool(test, bo->resource->drmcg);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, size);

	dma_resv_lock(bo->base.resv, NULL);
	err = ttm_bo_validate(bo, to_vram, &ctx);
	dma_resv_unlock(bo->base.resv);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, bo->resource->mem_type, VRAM_MEM);
	KUNIT_EXPECT_NULL(test, bo->resource->drmcg);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, 0);
	/* A move asked for by the driver is no eviction. */
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).evictions, 0);
}

/*
 * ttm_bo_validate() between two accounted managers moves the charge from
 * one region to the other, and counts no eviction.
 */
static void ttm_drmcg_validate_moves_charge(struct kunit *test)
{
	struct ttm_placement *to_sys = ttm_drmcg_placement(test, SYS_MEM);
	struct ttm_operation_ctx ctx = { };
	struct drmcg_region *vram, *sys;
	struct drmcg_pool *vram_pool, *sys_pool;
	struct ttm_buffer_object *bo;
	size_t size = SZ_256K;
	int err;

	vram = ttm_drmcg_region(test, "move-vram", NULL, NULL);
	sys = ttm_drmcg_region(test, "move-sys", NULL, NULL);
	ttm_drmcg_manager(test, VRAM_MEM, vram);
	ttm_drmcg_manager(test, SYS_MEM, sys);

	bo = ttm_drmcg_bo(test, VRAM_MEM, size);
	vram_pool = ttm_drmcg_hold_pool(test, bo->resource->drmcg);

	dma_resv_lock(bo->base.resv, NULL);
	err = ttm_bo_validate(bo, to_sys, &ctx);
	dma_resv_unlock(bo->base.resv);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_EQ(test, bo->resource->mem_type, SYS_MEM);
	sys_pool = ttm_drmcg_hold_pool(test, bo->resource->drmcg);
	KUNIT_EXPECT_PTR_NE(test, sys_pool, vram_pool);

	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).usage, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(sys_pool).usage, size);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).evictions, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).evicted_bytes, 0);

	ttm_drmcg_bo_free(test, bo);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(sys_pool).usage, 0);
}

/*
 * A buffer evicted to make room in a full manager takes its charge along:
 * the charge leaves the full region's pool, arrives in the pool of the
 * region it was evicted to, and the eviction is counted in the first pool.
 */
static void ttm_drmcg_evict_moves_charge(struct kunit *test)
{
	struct drmcg_pool *vram_pool, *sys_pool;
	struct ttm_buffer_object *victim, *bo;
	struct drmcg_region *vram, *sys;
	size_t size = SZ_8K;

	vram = ttm_drmcg_region(test, "evict-vram", NULL, NULL);
	sys = ttm_drmcg_region(test, "evict-sys", NULL, NULL);
	ttm_drmcg_manager(test, VRAM_MEM, vram);
	ttm_drmcg_manager(test, SYS_MEM, sys);

	victim = ttm_drmcg_bo(test, VRAM_MEM, MANAGER_SIZE);
	vram_pool = ttm_drmcg_hold_pool(test, victim->resource->drmcg);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).usage, MANAGER_SIZE);

	bo = ttm_drmcg_bo(test, VRAM_MEM, size);
	KUNIT_EXPECT_PTR_EQ(test, bo->resource->drmcg, vram_pool);

	KUNIT_ASSERT_EQ(test, victim->resource->mem_type, SYS_MEM);
	sys_pool = ttm_drmcg_hold_pool(test, victim->resource->drmcg);
	KUNIT_EXPECT_PTR_NE(test, sys_pool, vram_pool);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).usage, size);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(sys_pool).usage, MANAGER_SIZE);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).evictions, 1);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).evicted_bytes,
			MANAGER_SIZE);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(sys_pool).evictions, 0);

	ttm_drmcg_bo_free(test, victim);
	ttm_drmcg_bo_free(test, bo);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).usage, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(sys_pool).usage, 0);
	/* The statistics outlive the charges. */
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).evictions, 1);
}

/*
 * ttm_bo_pin() reports a charged placement as pinned once, however often
 * it is pinned; the last ttm_bo_unpin() reports it evictable again.
 */
static void ttm_drmcg_pin_unpin(struct kunit *test)
{
	struct ttm_buffer_object *bo;
	struct drmcg_region *vram;
	struct drmcg_pool *pool;
	size_t size = SZ_256K;

	vram = ttm_drmcg_region(test, "pin-vram", NULL, NULL);
	ttm_drmcg_manager(test, VRAM_MEM, vram);

	bo = ttm_drmcg_bo(test, VRAM_MEM, size);
	pool = ttm_drmcg_hold_pool(test, bo->resource->drmcg);

	dma_resv_lock(bo->base.resv, NULL);
	ttm_bo_pin(bo);
	KUNIT_EXPECT_TRUE(test, bo->resource->drmcg_pinned);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, size);
	ttm_bo_pin(bo);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, size);
	ttm_bo_unpin(bo);
	KUNIT_EXPECT_TRUE(test, bo->resource->drmcg_pinned);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, size);
	ttm_bo_unpin(bo);
	KUNIT_EXPECT_FALSE(test, bo->resource->drmcg_pinned);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, size);
	dma_resv_unlock(bo->base.resv);

	ttm_drmcg_bo_free(test, bo);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, 0);
}

/*
 * Freeing a placement that is reported pinned unpins it before giving the
 * charge back (as when a pinned buffer is destroyed through the delayed
 * delete path, which drops the pin count without ttm_bo_unpin()).
 */
static void ttm_drmcg_free_pinned_resource(struct kunit *test)
{
	struct ttm_buffer_object *bo;
	struct drmcg_region *vram;
	struct drmcg_pool *pool;
	size_t size = SZ_128K;

	vram = ttm_drmcg_region(test, "freepin-vram", NULL, NULL);
	ttm_drmcg_manager(test, VRAM_MEM, vram);

	bo = ttm_drmcg_bo(test, VRAM_MEM, size);
	pool = ttm_drmcg_hold_pool(test, bo->resource->drmcg);

	dma_resv_lock(bo->base.resv, NULL);
	ttm_bo_pin(bo);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, size);
	ttm_resource_free(bo, &bo->resource);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, 0);
	/* Without a placement, unpinning has nothing left to report. */
	ttm_bo_unpin(bo);
	dma_resv_unlock(bo->base.resv);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, 0);

	ttm_drmcg_bo_free(test, bo);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, 0);
}

/*
 * ttm_bo_evict_drmcg() on a region's root pool evicts that pool's buffers
 * until the target is met, moving their charges to the region they are
 * evicted to.
 */
static void ttm_drmcg_evict_drmcg(struct kunit *test)
{
	struct ttm_buffer_object *bos[4];
	struct ttm_operation_ctx ctx = { };
	struct drmcg_pool *vram_pool, *sys_pool;
	struct drmcg_region *vram, *sys;
	struct ttm_resource_manager *man;
	size_t size = SZ_256K;
	unsigned int i, moved = 0;
	s64 freed;

	vram = ttm_drmcg_region(test, "drain-vram", NULL, NULL);
	sys = ttm_drmcg_region(test, "drain-sys", NULL, NULL);
	man = ttm_drmcg_manager(test, VRAM_MEM, vram);
	ttm_drmcg_manager(test, SYS_MEM, sys);

	for (i = 0; i < ARRAY_SIZE(bos); i++)
		bos[i] = ttm_drmcg_bo(test, VRAM_MEM, size);
	vram_pool = ttm_drmcg_hold_pool(test, bos[0]->resource->drmcg);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).usage,
			ARRAY_SIZE(bos) * size);

	freed = ttm_bo_evict_drmcg(ttm_drmcg_dev(test), man, vram_pool, 2 * size, &ctx);
	KUNIT_EXPECT_GE(test, freed, 2 * size);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).usage,
			ARRAY_SIZE(bos) * size - freed);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).evicted_bytes, freed);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(vram_pool).evictions,
			freed / size);

	sys_pool = NULL;
	for (i = 0; i < ARRAY_SIZE(bos); i++) {
		if (bos[i]->resource->mem_type != SYS_MEM)
			continue;
		moved++;
		sys_pool = bos[i]->resource->drmcg;
	}
	KUNIT_EXPECT_EQ(test, moved * size, freed);
	ttm_drmcg_hold_pool(test, sys_pool);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(sys_pool).usage, freed);
}

/*
 * ttm_resource_manager_drmcg_reclaim(), the reclaim callback of a region,
 * reports progress while it evicts and -ENOSPC once nothing is left.
 */
static void ttm_drmcg_reclaim_callback(struct kunit *test)
{
	static const struct drmcg_region_ops ops = {
		.reclaim = ttm_resource_manager_drmcg_reclaim,
	};
	struct ttm_buffer_object *bo1, *bo2;
	struct drmcg_region *vram, *sys;
	struct ttm_resource_manager *man;
	struct drmcg_pool *pool;
	size_t size = SZ_512K;
	int ret;

	man = ttm_drmcg_manager(test, VRAM_MEM, NULL);
	vram = ttm_drmcg_region(test, "reclaim-vram", &ops, man);
	ttm_resource_manager_set_drmcg_region(man, vram);
	sys = ttm_drmcg_region(test, "reclaim-sys", NULL, NULL);
	ttm_drmcg_manager(test, SYS_MEM, sys);

	bo1 = ttm_drmcg_bo(test, VRAM_MEM, size);
	bo2 = ttm_drmcg_bo(test, VRAM_MEM, size);
	pool = ttm_drmcg_hold_pool(test, bo1->resource->drmcg);

	ret = ttm_resource_manager_drmcg_reclaim(pool, size, man);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, size);

	ret = ttm_resource_manager_drmcg_reclaim(pool, 2 * size, man);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, 0);
	KUNIT_EXPECT_EQ(test, bo1->resource->mem_type, SYS_MEM);
	KUNIT_EXPECT_EQ(test, bo2->resource->mem_type, SYS_MEM);

	ret = ttm_resource_manager_drmcg_reclaim(pool, size, man);
	KUNIT_EXPECT_EQ(test, ret, -ENOSPC);
}

/*
 * Reclaim only moves buffers out of the region: system memory that the
 * device evicts to system memory again cannot leave it, so
 * ttm_bo_evict_drmcg() neither moves the buffer nor counts an eviction,
 * and the reclaim callback reports -ENOSPC at once.
 */
static void ttm_drmcg_reclaim_stays_in_region(struct kunit *test)
{
	struct ttm_operation_ctx ctx = { };
	struct ttm_resource_manager *man;
	struct ttm_buffer_object *bo;
	struct ttm_resource *res;
	struct drmcg_region *sys;
	struct drmcg_pool *pool;
	size_t size = SZ_256K;
	s64 freed;
	int ret;

	sys = ttm_drmcg_region(test, "stay-sys", NULL, NULL);
	man = ttm_manager_type(ttm_drmcg_dev(test), TTM_PL_SYSTEM);
	ttm_resource_manager_set_drmcg_region(man, sys);

	bo = ttm_drmcg_bo(test, TTM_PL_SYSTEM, size);
	pool = ttm_drmcg_hold_pool(test, bo->resource->drmcg);
	res = bo->resource;

	freed = ttm_bo_evict_drmcg(ttm_drmcg_dev(test), man, pool, size, &ctx);
	KUNIT_EXPECT_EQ(test, freed, 0);
	ret = ttm_resource_manager_drmcg_reclaim(pool, size, man);
	KUNIT_EXPECT_EQ(test, ret, -ENOSPC);
	KUNIT_EXPECT_PTR_EQ(test, bo->resource, res);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, size);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).evictions, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).evicted_bytes, 0);
}

/*
 * Pinned buffers are not reclaimed: ttm_bo_evict_drmcg() frees nothing and
 * the reclaim callback reports -ENOSPC.
 */
static void ttm_drmcg_pinned_not_reclaimed(struct kunit *test)
{
	struct ttm_operation_ctx ctx = { };
	struct ttm_resource_manager *man;
	struct ttm_buffer_object *bo;
	struct drmcg_region *vram;
	struct drmcg_pool *pool;
	size_t size = SZ_512K;
	s64 freed;
	int ret;

	vram = ttm_drmcg_region(test, "pinned-vram", NULL, NULL);
	man = ttm_drmcg_manager(test, VRAM_MEM, vram);
	ttm_drmcg_manager(test, SYS_MEM, NULL);

	bo = ttm_drmcg_bo(test, VRAM_MEM, size);
	pool = ttm_drmcg_hold_pool(test, bo->resource->drmcg);
	dma_resv_lock(bo->base.resv, NULL);
	ttm_bo_pin(bo);
	dma_resv_unlock(bo->base.resv);

	freed = ttm_bo_evict_drmcg(ttm_drmcg_dev(test), man, pool, size, &ctx);
	KUNIT_EXPECT_EQ(test, freed, 0);
	ret = ttm_resource_manager_drmcg_reclaim(pool, size, man);
	KUNIT_EXPECT_EQ(test, ret, -ENOSPC);
	KUNIT_EXPECT_EQ(test, bo->resource->mem_type, VRAM_MEM);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, size);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, size);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).evictions, 0);

	dma_resv_lock(bo->base.resv, NULL);
	ttm_bo_unpin(bo);
	dma_resv_unlock(bo->base.resv);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).pinned, 0);
}

/*
 * no_evict_others restricts eviction to the allocating cgroup's subtree.
 * Here evictor and victim both belong to the root cgroup, so the victim is
 * in the evictor's subtree and the allocation still evicts it.
 */
static void ttm_drmcg_no_evict_others_own_subtree(struct kunit *test)
{
	struct ttm_operation_ctx ctx = { .no_evict_others = true };
	struct ttm_buffer_object *victim, *bo;
	struct drmcg_region *vram;
	struct drmcg_pool *pool;
	int err;

	vram = ttm_drmcg_region(test, "own-vram", NULL, NULL);
	ttm_drmcg_manager(test, VRAM_MEM, vram);
	ttm_drmcg_manager(test, SYS_MEM, NULL);

	victim = ttm_drmcg_bo(test, VRAM_MEM, MANAGER_SIZE);
	pool = ttm_drmcg_hold_pool(test, victim->resource->drmcg);

	err = ttm_drmcg_bo_create(test, VRAM_MEM, SZ_8K, &ctx, &bo);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, bo->resource->mem_type, VRAM_MEM);
	KUNIT_EXPECT_EQ(test, victim->resource->mem_type, SYS_MEM);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, SZ_8K);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).evictions, 1);
}

/*
 * no_evict_others reaches the eviction decision: an allocation that is not
 * charged (its manager's region was detached) owns no subtree, so with
 * no_evict_others it may not evict a charged buffer and fails; without it,
 * the same allocation evicts the buffer.
 */
static void ttm_drmcg_no_evict_others_refuses(struct kunit *test)
{
	struct ttm_operation_ctx ctx = { .no_evict_others = true };
	struct ttm_buffer_object *victim, *bo;
	struct ttm_resource_manager *man;
	struct drmcg_region *vram;
	struct drmcg_pool *pool;
	int err;

	vram = ttm_drmcg_region(test, "refuse-vram", NULL, NULL);
	man = ttm_drmcg_manager(test, VRAM_MEM, vram);
	ttm_drmcg_manager(test, SYS_MEM, NULL);

	victim = ttm_drmcg_bo(test, VRAM_MEM, MANAGER_SIZE);
	pool = ttm_drmcg_hold_pool(test, victim->resource->drmcg);
	ttm_resource_manager_set_drmcg_region(man, NULL);

	err = ttm_drmcg_bo_create(test, VRAM_MEM, SZ_8K, &ctx, &bo);
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	KUNIT_EXPECT_EQ(test, victim->resource->mem_type, VRAM_MEM);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, MANAGER_SIZE);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).evictions, 0);

	ctx.no_evict_others = false;
	err = ttm_drmcg_bo_create(test, VRAM_MEM, SZ_8K, &ctx, &bo);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_NULL(test, bo->resource->drmcg);
	KUNIT_EXPECT_EQ(test, victim->resource->mem_type, SYS_MEM);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).evictions, 1);
}

/*
 * Swapping a buffer out moves it to TTM_PL_SYSTEM outside the eviction
 * path: the charge of its old placement is given back and no eviction is
 * counted.
 */
static void ttm_drmcg_swapout_uncharges(struct kunit *test)
{
	struct ttm_operation_ctx ctx = { };
	struct ttm_resource_manager *man;
	struct ttm_buffer_object *bo;
	struct drmcg_region *vram;
	struct drmcg_pool *pool;
	s64 swapped;

	vram = ttm_drmcg_region(test, "swap-vram", NULL, NULL);
	man = ttm_drmcg_manager(test, VRAM_MEM, vram);

	bo = ttm_drmcg_bo(test, VRAM_MEM, MANAGER_SIZE);
	pool = ttm_drmcg_hold_pool(test, bo->resource->drmcg);

	swapped = ttm_bo_swapout(ttm_drmcg_dev(test), &ctx, man, GFP_KERNEL,
				 MANAGER_SIZE >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, swapped, MANAGER_SIZE >> PAGE_SHIFT);
	KUNIT_ASSERT_EQ(test, bo->resource->mem_type, TTM_PL_SYSTEM);
	KUNIT_EXPECT_NULL(test, bo->resource->drmcg);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).usage, 0);
	KUNIT_EXPECT_EQ(test, ttm_drmcg_stat(pool).evictions, 0);
}

static struct kunit_case ttm_drmcg_test_cases[] = {
	KUNIT_CASE(ttm_drmcg_charge_uncharge),
	KUNIT_CASE(ttm_drmcg_no_region),
	KUNIT_CASE(ttm_drmcg_validate_moves_charge),
	KUNIT_CASE(ttm_drmcg_evict_moves_charge),
	KUNIT_CASE(ttm_drmcg_pin_unpin),
	KUNIT_CASE(ttm_drmcg_free_pinned_resource),
	KUNIT_CASE(ttm_drmcg_evict_drmcg),
	KUNIT_CASE(ttm_drmcg_reclaim_callback),
	KUNIT_CASE(ttm_drmcg_reclaim_stays_in_region),
	KUNIT_CASE(ttm_drmcg_pinned_not_reclaimed),
	KUNIT_CASE(ttm_drmcg_no_evict_others_own_subtree),
	KUNIT_CASE(ttm_drmcg_no_evict_others_refuses),
	KUNIT_CASE(ttm_drmcg_swapout_uncharges),
	{}
};

static struct kunit_suite ttm_drmcg_test_suite = {
	.name = "ttm_drmcg",
	.init = ttm_drmcg_test_init,
	.exit = ttm_drmcg_test_fini,
	.test_cases = ttm_drmcg_test_cases,
};

kunit_test_suites(&ttm_drmcg_test_suite);

MODULE_DESCRIPTION("KUnit tests of TTM's drm cgroup accounting");
MODULE_LICENSE("GPL and additional rights");
