// SPDX-License-Identifier: GPL-2.0
/*
 * The drm cgroup controller's tables for the cgroup core.
 *
 * The cgroup core writes into struct cgroup_subsys and the cftype array at
 * boot (ids, names, kernfs ops), so they live here as ordinary mutable C
 * data. Every callback is implemented in Rust (drm_cgroup.rs), and so is
 * the driver API exported at the end.
 */

#include <linux/cgroup.h>
#include <linux/cgroup_drm.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/stddef.h>
#include <linux/workqueue.h>

#include "drmcg_internal.h"

#define DRMCG_RO(_name, _file, _flags)				\
	{							\
		.name = _name,					\
		.flags = _flags,				\
		.seq_show = drmcg_seq_show,			\
		.private = _file,				\
	}

#define DRMCG_RW(_name, _file)					\
	{							\
		.name = _name,					\
		.flags = CFTYPE_NOT_ON_ROOT,			\
		.seq_show = drmcg_seq_show,			\
		.write = drmcg_file_write,			\
		.private = _file,				\
	}

static struct cftype drmcg_files[] = {
	DRMCG_RO("capacity", DRMCG_FILE_CAPACITY, CFTYPE_ONLY_ON_ROOT),
	DRMCG_RO("current", DRMCG_FILE_CURRENT, 0),
	DRMCG_RW("min", DRMCG_FILE_MIN),
	DRMCG_RW("low", DRMCG_FILE_LOW),
	DRMCG_RW("high", DRMCG_FILE_HIGH),
	DRMCG_RW("max", DRMCG_FILE_MAX),
	{
		.name = "peak",
		.flags = CFTYPE_NOT_ON_ROOT,
		.open = drmcg_file_open,
		.release = drmcg_file_release,
		.seq_show = drmcg_seq_show,
		.write = drmcg_file_write,
		.private = DRMCG_FILE_PEAK,
	},
	{
		.name = "events",
		.flags = CFTYPE_NOT_ON_ROOT,
		.file_offset = offsetof(struct drmcg_css, events_file),
		.seq_show = drmcg_seq_show,
		.private = DRMCG_FILE_EVENTS,
	},
	{
		.name = "events.local",
		.flags = CFTYPE_NOT_ON_ROOT,
		.file_offset = offsetof(struct drmcg_css, events_local_file),
		.seq_show = drmcg_seq_show,
		.private = DRMCG_FILE_EVENTS_LOCAL,
	},
	DRMCG_RO("stat", DRMCG_FILE_STAT, CFTYPE_NOT_ON_ROOT),
	{
		/* Write-only, on every cgroup as memory.reclaim is. */
		.name = "reclaim",
		.flags = CFTYPE_NS_DELEGATABLE,
		.write = drmcg_file_write,
		.private = DRMCG_FILE_RECLAIM,
	},
	{ }	/* terminate */
};

struct workqueue_struct *drmcg_reclaim_wq;

/*
 * Reclaim waits for the driver's evictions, which wait on fences: keep it off
 * the per-CPU system workqueue. A removed cgroup's pending reclaim stops at
 * its next step, so nothing needs to flush the queue.
 */
static int __init drmcg_reclaim_wq_init(void)
{
	drmcg_reclaim_wq = alloc_workqueue("drm_cgroup_reclaim", WQ_UNBOUND, 0);
	return drmcg_reclaim_wq ? 0 : -ENOMEM;
}
subsys_initcall(drmcg_reclaim_wq_init);

struct cgroup_subsys drm_cgrp_subsys = {
	.css_alloc = drmcg_css_alloc,
	.css_offline = drmcg_css_offline,
	.css_free = drmcg_css_free,
	.legacy_cftypes = drmcg_files,
	.dfl_cftypes = drmcg_files,
};

/*
 * The driver API of <linux/cgroup_drm.h> is implemented in Rust (capi.rs),
 * whose objects do not export symbols; export it here for drivers built as
 * modules.
 */
#define DRMCG_EXPORT_RUST_FN(fn) EXPORT_SYMBOL_GPL(fn)

DRMCG_EXPORT_RUST_FN(drmcg_register_region);
DRMCG_EXPORT_RUST_FN(drmcg_unregister_region);
DRMCG_EXPORT_RUST_FN(drmcg_owner_get_current);
DRMCG_EXPORT_RUST_FN(drmcg_owner_get);
DRMCG_EXPORT_RUST_FN(drmcg_owner_put);
DRMCG_EXPORT_RUST_FN(drmcg_try_charge);
DRMCG_EXPORT_RUST_FN(drmcg_try_charge_owner);
DRMCG_EXPORT_RUST_FN(drmcg_force_charge_owner);
DRMCG_EXPORT_RUST_FN(drmcg_get_owner_pool);
DRMCG_EXPORT_RUST_FN(drmcg_uncharge);
DRMCG_EXPORT_RUST_FN(drmcg_pool_get);
DRMCG_EXPORT_RUST_FN(drmcg_pool_put);
DRMCG_EXPORT_RUST_FN(drmcg_pool_read_stat);
DRMCG_EXPORT_RUST_FN(drmcg_region_has_high);
DRMCG_EXPORT_RUST_FN(drmcg_pin);
DRMCG_EXPORT_RUST_FN(drmcg_unpin);
DRMCG_EXPORT_RUST_FN(drmcg_evict_valuable);
DRMCG_EXPORT_RUST_FN(drmcg_report_eviction);
DRMCG_EXPORT_RUST_FN(drmcg_below_min);
DRMCG_EXPORT_RUST_FN(drmcg_below_low);
DRMCG_EXPORT_RUST_FN(drmcg_get_common_ancestor);
