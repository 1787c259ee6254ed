/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between the drm cgroup controller's C tables (drmcg_subsys.c)
 * and its Rust implementation (drm_cgroup.rs). Included by
 * rust/bindings/bindings_helper.h so that bindgen sees these declarations
 * and #[export] checks the Rust definitions against them.
 */
#ifndef _KERNEL_CGROUP_DRM_DRMCG_INTERNAL_H
#define _KERNEL_CGROUP_DRM_DRMCG_INTERNAL_H

#include <linux/cgroup.h>
#include <linux/kernfs.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>

/**
 * struct drmcg_css - the part of a drm cgroup that the cgroup core sees
 * @css: the cgroup subsystem state; must stay the first member
 * @events_file: drm.events, for cgroup_file_notify()
 * @events_local_file: drm.events.local, for cgroup_file_notify()
 *
 * The Rust side embeds this at the start of its per-cgroup state.
 */
struct drmcg_css {
	struct cgroup_subsys_state css;
	struct cgroup_file events_file;
	struct cgroup_file events_local_file;
};

/**
 * enum drmcg_file - which drm.* interface file a cftype is
 *
 * Stored in &cftype.private.
 */
enum drmcg_file {
	DRMCG_FILE_CAPACITY,
	DRMCG_FILE_CURRENT,
	DRMCG_FILE_MIN,
	DRMCG_FILE_LOW,
	DRMCG_FILE_HIGH,
	DRMCG_FILE_MAX,
	DRMCG_FILE_PEAK,
	DRMCG_FILE_EVENTS,
	DRMCG_FILE_EVENTS_LOCAL,
	DRMCG_FILE_STAT,
	DRMCG_FILE_RECLAIM,
};

struct cgroup_subsys_state *drmcg_css_alloc(struct cgroup_subsys_state *parent);
void drmcg_css_offline(struct cgroup_subsys_state *css);
void drmcg_css_free(struct cgroup_subsys_state *css);
int drmcg_seq_show(struct seq_file *sf, void *v);
ssize_t drmcg_file_write(struct kernfs_open_file *of, char *buf,
			 size_t nbytes, loff_t off);
int drmcg_file_open(struct kernfs_open_file *of);
void drmcg_file_release(struct kernfs_open_file *of);

/*
 * The unbound workqueue of background reclaim (drm.high), allocated at boot;
 * NULL if that failed, in which case system_unbound_wq is used.
 */
extern struct workqueue_struct *drmcg_reclaim_wq;

/* For tests: the number of (cgroup, region) pools not freed yet. */
u64 drmcg_live_pools(void);

/*
 * For tests: background reclaim items queued and run since boot, and the
 * most that were queued or running for one cgroup at the same time (at most
 * 2: one running, one pending).
 */
void drmcg_high_reclaim_stats(u64 *queued, u64 *runs, u64 *max_in_flight);

#endif /* _KERNEL_CGROUP_DRM_DRMCG_INTERNAL_H */
