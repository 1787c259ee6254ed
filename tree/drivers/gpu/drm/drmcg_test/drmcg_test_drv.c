// SPDX-License-Identifier: GPL-2.0
/*
 * A TTM device without hardware, for testing the drm cgroup controller:
 * two VRAM tiles ("tile0", "tile1") of configurable size and a system
 * domain, each accounted in its own drm cgroup region. Userspace creates,
 * pins, re-validates and frees buffers through the ioctls of
 * drmcg_test_drm.h; the tiles have no backing store, so a move
 * only changes a buffer's placement and tests can use any size.
 *
 * The device is a platform device named "drmcg_test" (its DRM unique name,
 * hence the card part of its regions' keys). Unbinding it from the driver
 * unplugs it with buffers alive: the regions are unregistered at once, and
 * the buffers' charges are given back when their last user closes them.
 * Tile sizes are read from the module parameters when the device is bound,
 * and so is the choice of controllers that account the regions
 * (drmcg_test_dev.cgroups): the drm cgroup controller (the default), upstream
 * dmem, both, or none, for comparing what each costs through TTM. A dmem
 * region is named "drm/<unique>/<region>", as drmm_cgroup_register_region()
 * names them, and is unregistered on unbind too.
 * The device is only created with drmcg_test_dev.enable=1, so that a test
 * kernel that builds it in sees no extra device elsewhere (TTM's KUnit
 * tests count devices).
 */

#include <linux/cgroup_dmem.h>
#include <linux/cgroup_drm.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/ttm/ttm_allocation.h>
#include <drm/ttm/ttm_bo.h>
#include <drm/ttm/ttm_device.h>
#include <drm/ttm/ttm_placement.h>
#include <drm/ttm/ttm_range_manager.h>
#include <drm/ttm/ttm_tt.h>

#include "drmcg_test_drm.h"

#define DRIVER_NAME "drmcg_test"
#define DRIVER_DESC "drm cgroup test device"

static bool enable;
module_param(enable, bool, 0444);
MODULE_PARM_DESC(enable, "Create the device when the driver loads (default: no)");

/* Tile sizes in MiB: 1 to 1 TiB, anything else is refused when written. */
static int drmcg_test_set_mb(const char *val, const struct kernel_param *kp)
{
	unsigned long mb;
	int ret;

	ret = kstrtoul(val, 0, &mb);
	if (ret)
		return ret;
	if (!mb || mb > SZ_1M)
		return -EINVAL;
	WRITE_ONCE(*(unsigned long *)kp->arg, mb);
	return 0;
}

static const struct kernel_param_ops drmcg_test_mb_ops = {
	.set = drmcg_test_set_mb,
	.get = param_get_ulong,
};

static unsigned long tile0_mb = 256;
module_param_cb(tile0_mb, &drmcg_test_mb_ops, &tile0_mb, 0644);
MODULE_PARM_DESC(tile0_mb, "Size of tile0 in MiB, read when the device is bound (default 256)");

static unsigned long tile1_mb = 64;
module_param_cb(tile1_mb, &drmcg_test_mb_ops, &tile1_mb, 0644);
MODULE_PARM_DESC(tile1_mb, "Size of tile1 in MiB, read when the device is bound (default 64)");

/* Controllers that account the regions: bit 0 drm, bit 1 dmem. */
#define DRMCG_TEST_CG_DRM	0x1
#define DRMCG_TEST_CG_DMEM	0x2

/* Values of the cgroups parameter, indexed by their DRMCG_TEST_CG_* bits. */
static const char * const drmcg_test_cg_names[] = {
	"none", "drm", "dmem", "both",
};

static unsigned int cgroups = DRMCG_TEST_CG_DRM;

static int drmcg_test_set_cgroups(const char *val,
				  const struct kernel_param *kp)
{
	int i = sysfs_match_string(drmcg_test_cg_names, val);

	if (i < 0)
		return i;
	WRITE_ONCE(*(unsigned int *)kp->arg, i);
	return 0;
}

static int drmcg_test_get_cgroups(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  drmcg_test_cg_names[READ_ONCE(*(unsigned int *)kp->arg)]);
}

static const struct kernel_param_ops drmcg_test_cgroups_ops = {
	.set = drmcg_test_set_cgroups,
	.get = drmcg_test_get_cgroups,
};

module_param_cb(cgroups, &drmcg_test_cgroups_ops, &cgroups, 0644);
MODULE_PARM_DESC(cgroups, "Controllers accounting the regions, read when the device is bound: none, drm, dmem or both (default drm)");

enum drmcg_test_region {
	DRMCG_TEST_TILE0,
	DRMCG_TEST_TILE1,
	DRMCG_TEST_SYSTEM,
	DRMCG_TEST_NUM_REGIONS,
};

/* TTM memory type, name and domain bit of each region. */
static const struct {
	unsigned int mem_type;
	const char *name;
	u32 domain;
} drmcg_test_regions[DRMCG_TEST_NUM_REGIONS] = {
	[DRMCG_TEST_TILE0] = { TTM_PL_VRAM, "tile0", DRMCG_TEST_DOMAIN_TILE0 },
	[DRMCG_TEST_TILE1] = { TTM_PL_PRIV, "tile1", DRMCG_TEST_DOMAIN_TILE1 },
	[DRMCG_TEST_SYSTEM] = { TTM_PL_SYSTEM, "system", DRMCG_TEST_DOMAIN_SYSTEM },
};

struct drmcg_test_device {
	struct drm_device drm;
	struct ttm_device bdev;
	struct ttm_drmcg_region *region[DRMCG_TEST_NUM_REGIONS];
	struct dmem_cgroup_region *dmem[DRMCG_TEST_NUM_REGIONS];
	/* DRMCG_TEST_CG_* of the regions, from the parameter at binding. */
	unsigned int cgroups;
	/* Size of each region in bytes. */
	u64 size[DRMCG_TEST_NUM_REGIONS];
};

struct drmcg_test_bo {
	struct ttm_buffer_object tbo;
};

static struct drmcg_test_device *to_tdev(struct drm_device *drm)
{
	return container_of(drm, struct drmcg_test_device, drm);
}

static struct ttm_buffer_object *to_tbo(struct drm_gem_object *obj)
{
	return container_of(obj, struct ttm_buffer_object, base);
}

/* Builds the placement list of @domains, in the order of the regions. */
static void drmcg_test_placement(u32 domains, struct ttm_place *places,
				 struct ttm_placement *placement)
{
	int i, n = 0;

	for (i = 0; i < DRMCG_TEST_NUM_REGIONS; i++) {
		if (!(domains & drmcg_test_regions[i].domain))
			continue;
		places[n] = (struct ttm_place) {
			.mem_type = drmcg_test_regions[i].mem_type,
		};
		n++;
	}
	placement->num_placement = n;
	placement->placement = places;
}

static struct ttm_tt *drmcg_test_tt_create(struct ttm_buffer_object *bo,
					   u32 page_flags)
{
	struct ttm_tt *tt = kzalloc_obj(*tt);

	if (!tt)
		return NULL;
	if (ttm_tt_init(tt, bo, page_flags, ttm_cached, 0)) {
		kfree(tt);
		return NULL;
	}
	return tt;
}

static void drmcg_test_tt_destroy(struct ttm_device *bdev, struct ttm_tt *tt)
{
	ttm_tt_fini(tt);
	kfree(tt);
}

/* Evicted buffers go to the system domain. */
static void drmcg_test_evict_flags(struct ttm_buffer_object *bo,
				   struct ttm_placement *placement)
{
	static const struct ttm_place sys = { .mem_type = TTM_PL_SYSTEM };

	placement->num_placement = 1;
	placement->placement = &sys;
}

/* The tiles have no backing store: a move only changes the placement. */
static int drmcg_test_move(struct ttm_buffer_object *bo, bool evict,
			   struct ttm_operation_ctx *ctx,
			   struct ttm_resource *new_mem, struct ttm_place *hop)
{
	ttm_bo_move_null(bo, new_mem);
	return 0;
}

static const struct ttm_device_funcs drmcg_test_ttm_funcs = {
	.ttm_tt_create = drmcg_test_tt_create,
	.ttm_tt_destroy = drmcg_test_tt_destroy,
	.eviction_valuable = ttm_bo_eviction_valuable,
	.evict_flags = drmcg_test_evict_flags,
	.move = drmcg_test_move,
};

static void drmcg_test_bo_destroy(struct ttm_buffer_object *tbo)
{
	drm_gem_object_release(&tbo->base);
	kfree(container_of(tbo, struct drmcg_test_bo, tbo));
}

static void drmcg_test_gem_free(struct drm_gem_object *obj)
{
	struct ttm_buffer_object *tbo = to_tbo(obj);

	/* A buffer may be closed while pinned. */
	if (tbo->pin_count) {
		dma_resv_lock(tbo->base.resv, NULL);
		while (tbo->pin_count)
			ttm_bo_unpin(tbo);
		dma_resv_unlock(tbo->base.resv);
	}
	ttm_bo_fini(tbo);
}

static const struct drm_gem_object_funcs drmcg_test_gem_funcs = {
	.free = drmcg_test_gem_free,
};

static int drmcg_test_create_ioctl(struct drm_device *drm, void *data,
				   struct drm_file *file)
{
	struct drmcg_test_device *tdev = to_tdev(drm);
	struct drm_drmcg_test_create *args = data;
	struct ttm_operation_ctx ctx = {
		.interruptible = true,
		.no_evict_others = args->flags & DRMCG_TEST_NO_EVICT_OTHERS,
	};
	struct ttm_place places[DRMCG_TEST_NUM_REGIONS];
	struct ttm_placement placement;
	struct drmcg_test_bo *bo;
	u64 largest = 0;
	int i, idx, ret;

	if (!args->domains || args->domains & ~DRMCG_TEST_DOMAINS ||
	    args->flags & ~(DRMCG_TEST_NO_EVICT_OTHERS | DRMCG_TEST_PIN) ||
	    args->pad)
		return -EINVAL;
	for (i = 0; i < DRMCG_TEST_NUM_REGIONS; i++) {
		if (args->domains & drmcg_test_regions[i].domain)
			largest = max(largest, tdev->size[i]);
	}
	/* The sizes are whole pages. */
	if (!args->size || args->size > largest)
		return -EINVAL;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	bo = kzalloc_obj(*bo);
	if (!bo) {
		ret = -ENOMEM;
		goto out;
	}
	drm_gem_private_object_init(drm, &bo->tbo.base, PAGE_ALIGN(args->size));
	bo->tbo.base.funcs = &drmcg_test_gem_funcs;

	drmcg_test_placement(args->domains, places, &placement);
	/* Charges the caller's cgroup; on failure @bo is destroyed. */
	ret = ttm_bo_init_reserved(&tdev->bdev, &bo->tbo, ttm_bo_type_kernel,
				   &placement, 0, &ctx, NULL, NULL,
				   drmcg_test_bo_destroy);
	if (ret)
		goto out;
	if (args->flags & DRMCG_TEST_PIN)
		ttm_bo_pin(&bo->tbo);
	ttm_bo_unreserve(&bo->tbo);

	ret = drm_gem_handle_create(file, &bo->tbo.base, &args->handle);
	drm_gem_object_put(&bo->tbo.base);
out:
	drm_dev_exit(idx);
	return ret;
}

/* The reserved buffer of @handle, with a reference, or an ERR_PTR(). */
static struct ttm_buffer_object *drmcg_test_lookup(struct drm_file *file,
						   u32 handle)
{
	struct drm_gem_object *obj = drm_gem_object_lookup(file, handle);
	int ret;

	if (!obj)
		return ERR_PTR(-ENOENT);
	ret = ttm_bo_reserve(to_tbo(obj), true, false, NULL);
	if (ret) {
		drm_gem_object_put(obj);
		return ERR_PTR(ret);
	}
	return to_tbo(obj);
}

static void drmcg_test_unlookup(struct ttm_buffer_object *tbo)
{
	ttm_bo_unreserve(tbo);
	drm_gem_object_put(&tbo->base);
}

static int drmcg_test_validate_ioctl(struct drm_device *drm, void *data,
				     struct drm_file *file)
{
	struct drm_drmcg_test_validate *args = data;
	struct ttm_operation_ctx ctx = {
		.interruptible = true,
		.no_evict_others = args->flags & DRMCG_TEST_NO_EVICT_OTHERS,
	};
	struct ttm_place places[DRMCG_TEST_NUM_REGIONS];
	struct ttm_placement placement;
	struct ttm_buffer_object *tbo;
	int idx, ret = 0;

	if (!args->domains || args->domains & ~DRMCG_TEST_DOMAINS ||
	    args->flags & ~(DRMCG_TEST_NO_EVICT_OTHERS | DRMCG_TEST_PIN |
			    DRMCG_TEST_UNPIN) ||
	    (args->flags & DRMCG_TEST_PIN && args->flags & DRMCG_TEST_UNPIN) ||
	    args->pad)
		return -EINVAL;
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	tbo = drmcg_test_lookup(file, args->handle);
	if (IS_ERR(tbo)) {
		ret = PTR_ERR(tbo);
		goto out_exit;
	}

	/* One pin at most: a test device has no use for nested pins. */
	if ((args->flags & DRMCG_TEST_UNPIN && !tbo->pin_count) ||
	    (args->flags & DRMCG_TEST_PIN && tbo->pin_count)) {
		ret = args->flags & DRMCG_TEST_PIN ? -EBUSY : -EINVAL;
		goto out;
	}
	if (args->flags & DRMCG_TEST_UNPIN)
		ttm_bo_unpin(tbo);
	drmcg_test_placement(args->domains, places, &placement);
	ret = ttm_bo_validate(tbo, &placement, &ctx);
	/* The buffer has not moved: pinned as before, or as asked. */
	if (ret ? args->flags & DRMCG_TEST_UNPIN : args->flags & DRMCG_TEST_PIN)
		ttm_bo_pin(tbo);
out:
	drmcg_test_unlookup(tbo);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

static int drmcg_test_query_ioctl(struct drm_device *drm, void *data,
				  struct drm_file *file)
{
	struct drm_drmcg_test_query *args = data;
	struct ttm_buffer_object *tbo;
	struct drm_gem_object *obj;
	int i, ret;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	tbo = to_tbo(obj);
	/* Not ttm_bo_reserve(): a query must not reorder the LRU. */
	ret = dma_resv_lock_interruptible(tbo->base.resv, NULL);
	if (ret)
		goto out;
	args->domain = 0;
	for (i = 0; tbo->resource && i < DRMCG_TEST_NUM_REGIONS; i++) {
		if (tbo->resource->mem_type == drmcg_test_regions[i].mem_type)
			args->domain = drmcg_test_regions[i].domain;
	}
	args->pin_count = tbo->pin_count;
	dma_resv_unlock(tbo->base.resv);
out:
	drm_gem_object_put(obj);
	return ret;
}

static const struct drm_ioctl_desc drmcg_test_ioctls[] = {
	DRM_IOCTL_DEF_DRV(DRMCG_TEST_CREATE, drmcg_test_create_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(DRMCG_TEST_VALIDATE, drmcg_test_validate_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(DRMCG_TEST_QUERY, drmcg_test_query_ioctl,
			  DRM_RENDER_ALLOW),
};

DEFINE_DRM_GEM_FOPS(drmcg_test_fops);

static const struct drm_driver drmcg_test_driver = {
	.driver_features = DRIVER_GEM | DRIVER_RENDER,
	.ioctls = drmcg_test_ioctls,
	.num_ioctls = ARRAY_SIZE(drmcg_test_ioctls),
	.fops = &drmcg_test_fops,
	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.major = 1,
	.minor = 0,
};

/*
 * Reclaim for a lowered dmem limit, while the device is there: an unplugged
 * device's buffers are no longer moved. (For the drm cgroup, the TTM helper
 * registering the regions installs the same wrapper.)
 */
static int drmcg_test_dmem_reclaim(struct dmem_cgroup_pool_state *pool,
				   u64 target_bytes, void *priv)
{
	struct ttm_resource_manager *man = priv;
	struct drmcg_test_device *tdev =
		container_of(man->bdev, struct drmcg_test_device, bdev);
	int idx, ret;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	ret = ttm_resource_manager_dmem_reclaim(pool, target_bytes, man);
	drm_dev_exit(idx);
	return ret;
}

static const struct dmem_cgroup_ops drmcg_test_dmem_ops = {
	.reclaim = drmcg_test_dmem_reclaim,
};

/*
 * Unregisters the dmem regions that are still registered, after detaching
 * them from their managers; charges still outstanding stay valid.
 */
static void drmcg_test_unregister_dmem(struct drmcg_test_device *tdev)
{
	int i;

	for (i = 0; i < DRMCG_TEST_NUM_REGIONS; i++) {
		struct ttm_resource_manager *man =
			ttm_manager_type(&tdev->bdev,
					 drmcg_test_regions[i].mem_type);

		if (!tdev->dmem[i])
			continue;
		if (man)
			ttm_resource_manager_set_dmem_region(man, NULL);
		dmem_cgroup_unregister_region(tdev->dmem[i]);
		tdev->dmem[i] = NULL;
	}
}

/* When probing failed after registering dmem regions. */
static void drmcg_test_dmem_fini(struct drm_device *drm, void *arg)
{
	drmcg_test_unregister_dmem(to_tdev(drm));
}

/*
 * Unregisters the regions, before the managers their reclaim callback uses
 * go; buffers still alive keep their charges until they are freed. The TTM
 * helper detaches each drm cgroup region from its manager first, as it does
 * for the drivers that use it.
 */
static void drmcg_test_unregister_regions(struct drmcg_test_device *tdev)
{
	int i;

	for (i = 0; i < DRMCG_TEST_NUM_REGIONS; i++) {
		ttm_resource_manager_drmcg_unregister(tdev->region[i]);
		tdev->region[i] = NULL;
	}
	drmcg_test_unregister_dmem(tdev);
}

/*
 * Runs when the last user of the device is gone: no buffer is left. The
 * regions are gone already: unregistered on unbind, or, when probing
 * failed, by their own managed actions, which were added later.
 */
static void drmcg_test_ttm_fini(struct drm_device *drm, void *arg)
{
	struct drmcg_test_device *tdev = to_tdev(drm);

	if (ttm_manager_type(&tdev->bdev, TTM_PL_PRIV))
		ttm_range_man_fini(&tdev->bdev, TTM_PL_PRIV);
	if (ttm_manager_type(&tdev->bdev, TTM_PL_VRAM))
		ttm_range_man_fini(&tdev->bdev, TTM_PL_VRAM);
	ttm_device_fini(&tdev->bdev);
}

static int drmcg_test_init_regions(struct drmcg_test_device *tdev)
{
	unsigned int cg = READ_ONCE(cgroups);
	u64 *sizes = tdev->size;
	int i, ret;

	tdev->cgroups = cg;
	/* Valid when written; they may change meanwhile: read each once. */
	sizes[DRMCG_TEST_TILE0] = (u64)READ_ONCE(tile0_mb) << 20;
	sizes[DRMCG_TEST_TILE1] = (u64)READ_ONCE(tile1_mb) << 20;
	sizes[DRMCG_TEST_SYSTEM] = (u64)totalram_pages() << PAGE_SHIFT;
	ret = ttm_range_man_init(&tdev->bdev, TTM_PL_VRAM, false,
				 sizes[DRMCG_TEST_TILE0] >> PAGE_SHIFT);
	if (ret)
		return ret;
	ret = ttm_range_man_init(&tdev->bdev, TTM_PL_PRIV, false,
				 sizes[DRMCG_TEST_TILE1] >> PAGE_SHIFT);
	if (ret)
		return ret;
	/* Runs before the managers' teardown, which was added earlier. */
	ret = drmm_add_action_or_reset(&tdev->drm, drmcg_test_dmem_fini, NULL);
	if (ret)
		return ret;

	for (i = 0; i < DRMCG_TEST_NUM_REGIONS; i++) {
		struct ttm_resource_manager *man =
			ttm_manager_type(&tdev->bdev,
					 drmcg_test_regions[i].mem_type);
		const struct dmem_cgroup_init init = {
			.size = sizes[i],
			.ops = &drmcg_test_dmem_ops,
			.reclaim_priv = man,
		};
		struct dmem_cgroup_region *dmem;
		struct ttm_drmcg_region *region;

		if (cg & DRMCG_TEST_CG_DMEM) {
			dmem = dmem_cgroup_register_region(&init, "drm/%s/%s",
							   tdev->drm.unique,
							   drmcg_test_regions[i].name);
			if (IS_ERR(dmem))
				return PTR_ERR(dmem);
			tdev->dmem[i] = dmem;
			ttm_resource_manager_set_dmem_region(man, dmem);
		}
		if (!(cg & DRMCG_TEST_CG_DRM))
			continue;
		/*
		 * The same registration, reclaim callback and teardown as the
		 * drivers of real devices: after the managers' teardown action,
		 * so that the region goes first on release.
		 */
		region = ttm_resource_manager_drmcg_register(&tdev->drm, man,
							     drmcg_test_regions[i].name,
							     sizes[i], NULL);
		if (IS_ERR(region))
			return PTR_ERR(region);
		tdev->region[i] = region;
	}
	return 0;
}

static int drmcg_test_probe(struct platform_device *pdev)
{
	struct drmcg_test_device *tdev;
	struct drm_device *drm;
	int ret;

	tdev = devm_drm_dev_alloc(&pdev->dev, &drmcg_test_driver,
				  struct drmcg_test_device, drm);
	if (IS_ERR(tdev))
		return PTR_ERR(tdev);
	drm = &tdev->drm;

	ret = ttm_device_init(&tdev->bdev, &drmcg_test_ttm_funcs, drm->dev,
			      drm->anon_inode->i_mapping,
			      drm->vma_offset_manager,
			      TTM_ALLOCATION_PROPAGATE_ENOSPC);
	if (ret)
		return ret;
	ret = drmm_add_action_or_reset(drm, drmcg_test_ttm_fini, NULL);
	if (ret)
		return ret;
	ret = drmcg_test_init_regions(tdev);
	if (ret)
		return ret;

	ret = drm_dev_register(drm, 0);
	if (ret)
		return ret;
	platform_set_drvdata(pdev, tdev);
	drm_info(drm, "tile0 %llu MiB, tile1 %llu MiB, cgroups %s\n",
		 tdev->size[DRMCG_TEST_TILE0] >> 20,
		 tdev->size[DRMCG_TEST_TILE1] >> 20,
		 drmcg_test_cg_names[tdev->cgroups]);
	return 0;
}

static void drmcg_test_remove(struct platform_device *pdev)
{
	struct drmcg_test_device *tdev = platform_get_drvdata(pdev);

	drm_dev_unplug(&tdev->drm);
	drmcg_test_unregister_regions(tdev);
}

static struct platform_driver drmcg_test_platform_driver = {
	.probe = drmcg_test_probe,
	.remove = drmcg_test_remove,
	.driver = {
		.name = DRIVER_NAME,
	},
};

static struct platform_device *drmcg_test_pdev;

static int __init drmcg_test_init(void)
{
	int ret;

	/* Only test setups that ask for it get a device. */
	if (!enable)
		return 0;
	ret = platform_driver_register(&drmcg_test_platform_driver);
	if (ret)
		return ret;
	drmcg_test_pdev = platform_device_register_simple(DRIVER_NAME,
							  PLATFORM_DEVID_NONE,
							  NULL, 0);
	if (IS_ERR(drmcg_test_pdev)) {
		platform_driver_unregister(&drmcg_test_platform_driver);
		return PTR_ERR(drmcg_test_pdev);
	}
	return 0;
}

static void __exit drmcg_test_exit(void)
{
	if (!enable)
		return;
	platform_device_unregister(drmcg_test_pdev);
	platform_driver_unregister(&drmcg_test_platform_driver);
}

module_init(drmcg_test_init);
module_exit(drmcg_test_exit);

MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
