// SPDX-License-Identifier: GPL-2.0
/*
 * Side-by-side benchmark of the drm cgroup controller and dmem
 * (CONFIG_CGROUP_DRM_BENCH, test kernels only).
 *
 * /sys/kernel/debug/drm_cgroup_bench/ctl takes one command per write and logs
 * its result with pr_info() ("drmcg_bench: ..."); both controllers run the
 * same work in the writer's cgroup, one after the other:
 *
 *   setup                 register one region in each controller
 *   charge [N]            charge+uncharge pairs of 4 KiB, N per repetition
 *                         or, without N, as many as take BENCH_MIN_NS
 *                         (calibrated for each controller): ns per pair,
 *                         median of BENCH_REPS repetitions that alternate
 *                         between the controllers
 *   charge-drm N          the same, drm controller only (for parallel runs)
 *   charge-dmem N         the same, dmem only
 *   first                 the first charge of this cgroup (pool creation): ns
 *   hold                  charge 4 KiB here and keep it (an eviction victim)
 *   evict first|last      eviction decisions, device full, for the first or
 *                         the last held charge, with the writer's cgroup as
 *                         the evictor: ns per decision and the verdicts
 *                         (each controller's loop runs for at least
 *                         BENCH_MIN_NS per repetition)
 *   release               give back every held charge
 *
 * dmem's decision is made the way TTM makes it: the common ancestor of
 * victim and evictor, then dmem_cgroup_state_evict_valuable() below it.
 */

#include <linux/cgroup_dmem.h>
#include <linux/cgroup_drm.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#define BENCH_SIZE	4096
#define BENCH_REPS	11
#define BENCH_MAX_HELD	20000
#define BENCH_MIN_NS	(2 * NSEC_PER_MSEC)

struct drmcg_bench_held {
	struct drmcg_pool *drm;
	struct dmem_cgroup_pool_state *dmem;
};

static DEFINE_MUTEX(bench_lock);
static struct drmcg_region *bench_drm;
static struct dmem_cgroup_region *bench_dmem;
static struct drmcg_bench_held *bench_held;
static unsigned int bench_nr_held;

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* @n charge+uncharge pairs of BENCH_SIZE through the drm controller. */
static int bench_pairs_drm(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct drmcg_pool *pool;

		if (drmcg_try_charge(bench_drm, BENCH_SIZE, &pool, NULL))
			return -ENOSPC;
		drmcg_uncharge(pool, BENCH_SIZE);
	}
	return 0;
}

/* The same through dmem. */
static int bench_pairs_dmem(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct dmem_cgroup_pool_state *pool;

		if (dmem_cgroup_try_charge(bench_dmem, BENCH_SIZE, &pool, NULL))
			return -ENOSPC;
		dmem_cgroup_uncharge(pool, BENCH_SIZE);
	}
	return 0;
}

/* As many pairs of @pairs as take at least BENCH_MIN_NS; 0 on failure. */
static unsigned long bench_calibrate(int (*pairs)(unsigned long n))
{
	unsigned long try = 1;

	for (;;) {
		u64 start = ktime_get_ns();

		if (pairs(try))
			return 0;
		if (ktime_get_ns() - start >= BENCH_MIN_NS || try >= (1UL << 24))
			return try;
		try *= 2;
		cond_resched();
	}
}

/* ns per pair of one run of @n pairs of @pairs; 0 on failure. */
static u64 bench_run(int (*pairs)(unsigned long n), unsigned long n)
{
	u64 start = ktime_get_ns();

	if (pairs(n))
		return 0;
	return div64_u64(ktime_get_ns() - start, n);
}

/*
 * ns per charge+uncharge pair through each controller: the median of
 * BENCH_REPS runs each, of @n pairs (if @n is 0, of as many as take at least
 * BENCH_MIN_NS, sized for each controller). The runs alternate between the
 * controllers, so that a drift of the machine's speed hits both alike.
 * Returns false on failure.
 */
static bool bench_charge(unsigned long n, u64 *drm, u64 *dmem)
{
	unsigned long n_drm = n ?: bench_calibrate(bench_pairs_drm);
	unsigned long n_dmem = n ?: bench_calibrate(bench_pairs_dmem);
	u64 t_drm[BENCH_REPS], t_dmem[BENCH_REPS];
	int r;

	if (!n_drm || !n_dmem)
		return false;
	for (r = 0; r < BENCH_REPS; r++) {
		t_drm[r] = bench_run(bench_pairs_drm, n_drm);
		t_dmem[r] = bench_run(bench_pairs_dmem, n_dmem);
		if (!t_drm[r] || !t_dmem[r])
			return false;
		cond_resched();
	}
	sort(t_drm, BENCH_REPS, sizeof(t_drm[0]), cmp_u64, NULL);
	sort(t_dmem, BENCH_REPS, sizeof(t_dmem[0]), cmp_u64, NULL);
	*drm = t_drm[BENCH_REPS / 2];
	*dmem = t_dmem[BENCH_REPS / 2];
	return true;
}

static int bench_first(void)
{
	struct dmem_cgroup_pool_state *dpool;
	struct drmcg_pool *pool;
	u64 t0, t1, t2;

	t0 = ktime_get_ns();
	if (drmcg_try_charge(bench_drm, BENCH_SIZE, &pool, NULL))
		return -ENOSPC;
	t1 = ktime_get_ns();
	if (dmem_cgroup_try_charge(bench_dmem, BENCH_SIZE, &dpool, NULL)) {
		drmcg_uncharge(pool, BENCH_SIZE);
		return -ENOSPC;
	}
	t2 = ktime_get_ns();
	drmcg_uncharge(pool, BENCH_SIZE);
	dmem_cgroup_uncharge(dpool, BENCH_SIZE);
	pr_info("drmcg_bench: first drm=%llu dmem=%llu\n", t1 - t0, t2 - t1);
	return 0;
}

static int bench_hold(void)
{
	struct drmcg_bench_held *h;

	if (bench_nr_held >= BENCH_MAX_HELD)
		return -ENOSPC;
	h = &bench_held[bench_nr_held];
	if (drmcg_try_charge(bench_drm, BENCH_SIZE, &h->drm, NULL))
		return -ENOSPC;
	if (dmem_cgroup_try_charge(bench_dmem, BENCH_SIZE, &h->dmem, NULL)) {
		drmcg_uncharge(h->drm, BENCH_SIZE);
		return -ENOSPC;
	}
	bench_nr_held++;
	return 0;
}

static void bench_release(void)
{
	while (bench_nr_held) {
		struct drmcg_bench_held *h = &bench_held[--bench_nr_held];

		drmcg_uncharge(h->drm, BENCH_SIZE);
		dmem_cgroup_uncharge(h->dmem, BENCH_SIZE);
	}
}

/* One eviction decision's operands, and its last verdict. */
struct drmcg_bench_evict {
	struct drmcg_bench_held *victim, *me;
	bool yes;
};

/* @n decisions of the drm controller. */
static void bench_evict_drm(struct drmcg_bench_evict *e, unsigned long n)
{
	unsigned long i;
	bool low;

	for (i = 0; i < n; i++) {
		low = false;
		e->yes = drmcg_evict_valuable(NULL, e->victim->drm, e->me->drm, 0,
					      &low);
	}
}

/* The same for dmem, the way TTM decides: below the common ancestor. */
static void bench_evict_dmem(struct drmcg_bench_evict *e, unsigned long n)
{
	unsigned long i;
	bool low;

	for (i = 0; i < n; i++) {
		struct dmem_cgroup_pool_state *ancestor;

		low = false;
		ancestor = dmem_cgroup_get_common_ancestor(e->victim->dmem,
							   e->me->dmem);
		e->yes = dmem_cgroup_state_evict_valuable(ancestor,
							  e->victim->dmem,
							  false, &low);
		dmem_cgroup_pool_state_put(ancestor);
	}
}

/*
 * Median over BENCH_REPS runs of ns per decision of @loop, each run long
 * enough (BENCH_MIN_NS) for the clock and interruptions not to dominate.
 */
static u64 bench_evict_time(void (*loop)(struct drmcg_bench_evict *e,
					 unsigned long n),
			    struct drmcg_bench_evict *e)
{
	unsigned long n = 1;
	u64 t[BENCH_REPS], start;
	int r;

	for (;;) {
		start = ktime_get_ns();
		loop(e, n);
		if (ktime_get_ns() - start >= BENCH_MIN_NS || n >= (1UL << 24))
			break;
		n *= 2;
		cond_resched();
	}
	for (r = 0; r < BENCH_REPS; r++) {
		start = ktime_get_ns();
		loop(e, n);
		t[r] = div64_u64(ktime_get_ns() - start, n);
		cond_resched();
	}
	sort(t, BENCH_REPS, sizeof(t[0]), cmp_u64, NULL);
	return t[BENCH_REPS / 2];
}

static int bench_evict(bool last)
{
	struct drmcg_bench_evict e = {};
	struct drmcg_bench_held me;
	bool drm_yes;
	u64 drm, dmem;

	if (!bench_nr_held)
		return -EINVAL;
	e.victim = &bench_held[last ? bench_nr_held - 1 : 0];
	e.me = &me;
	if (drmcg_try_charge(bench_drm, BENCH_SIZE, &me.drm, NULL))
		return -ENOSPC;
	if (dmem_cgroup_try_charge(bench_dmem, BENCH_SIZE, &me.dmem, NULL)) {
		drmcg_uncharge(me.drm, BENCH_SIZE);
		return -ENOSPC;
	}
	drm = bench_evict_time(bench_evict_drm, &e);
	drm_yes = e.yes;
	dmem = bench_evict_time(bench_evict_dmem, &e);
	pr_info("drmcg_bench: evict %s of %u drm=%llu dmem=%llu drm_evicts=%d dmem_evicts=%d\n",
		last ? "last" : "first", bench_nr_held, drm, dmem, drm_yes,
		e.yes);
	drmcg_uncharge(me.drm, BENCH_SIZE);
	dmem_cgroup_uncharge(me.dmem, BENCH_SIZE);
	return 0;
}

static int bench_setup(void)
{
	struct dmem_cgroup_init init = { .size = 1ULL << 40 };
	struct drmcg_region *drm;

	if (bench_drm)
		return 0;
	drm = drmcg_register_region("bench:00.0", "vram0", 1ULL << 40, NULL,
				    NULL);
	if (IS_ERR(drm))
		return PTR_ERR(drm);
	bench_dmem = dmem_cgroup_register_region(&init, "bench/vram0");
	if (IS_ERR_OR_NULL(bench_dmem)) {
		drmcg_unregister_region(drm);
		bench_dmem = NULL;
		return -ENODEV;
	}
	bench_drm = drm;
	return 0;
}

static int bench_cmd(const char *buf)
{
	char cmd[16];
	unsigned long n = 0;
	int fields;

	fields = sscanf(buf, "%15s %lu", cmd, &n);
	if (fields < 1)
		return -EINVAL;
	if (!strcmp(cmd, "setup"))
		return bench_setup();
	if (!bench_drm)
		return -ENODEV;
	if (!strcmp(cmd, "first"))
		return bench_first();
	if (!strcmp(cmd, "hold"))
		return bench_hold();
	if (!strcmp(cmd, "release")) {
		bench_release();
		return 0;
	}
	if (!strcmp(cmd, "evict")) {
		char where[8];

		if (sscanf(buf, "%*s %7s", where) != 1 ||
		    (strcmp(where, "first") && strcmp(where, "last")))
			return -EINVAL;
		return bench_evict(!strcmp(where, "last"));
	}
	if (!strcmp(cmd, "charge")) {
		u64 drm, dmem;

		if (!bench_charge(n, &drm, &dmem))
			return -ENOSPC;
		pr_info("drmcg_bench: charge drm=%llu dmem=%llu\n", drm, dmem);
		return 0;
	}
	if (fields < 2 || !n)
		return -EINVAL;
	if (!strcmp(cmd, "charge-drm") || !strcmp(cmd, "charge-dmem")) {
		bool drm = !strcmp(cmd, "charge-drm");
		u64 start = ktime_get_ns();
		int ret;

		ret = drm ? bench_pairs_drm(n) : bench_pairs_dmem(n);
		if (ret)
			return ret;
		pr_info("drmcg_bench: %s pid=%d n=%lu ns=%llu\n", cmd,
			task_pid_nr(current), n, ktime_get_ns() - start);
		return 0;
	}
	return -EINVAL;
}

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	char *buf;
	int ret;

	if (len == 0 || len > 64)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	/* Parallel throughput runs must not serialise on the lock. */
	if (!strncmp(buf, "charge-", 7)) {
		ret = bench_drm ? bench_cmd(buf) : -ENODEV;
	} else {
		mutex_lock(&bench_lock);
		ret = bench_cmd(buf);
		mutex_unlock(&bench_lock);
	}
	kfree(buf);
	return ret ? ret : len;
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.write = bench_write,
};

static int __init drmcg_bench_init(void)
{
	bench_held = kvcalloc(BENCH_MAX_HELD, sizeof(*bench_held), GFP_KERNEL);
	if (!bench_held)
		return -ENOMEM;
	debugfs_create_file("ctl", 0200,
			    debugfs_create_dir("drm_cgroup_bench", NULL), NULL,
			    &bench_fops);
	return 0;
}
late_initcall(drmcg_bench_init);
