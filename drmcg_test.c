// SPDX-License-Identifier: GPL-2.0
/*
 * Test interface of the drm cgroup controller (CONFIG_CGROUP_DRM_TEST_HELPER).
 *
 * /sys/kernel/debug/drm_cgroup/ctl lets a process act as a driver would,
 * through the public C API of <linux/cgroup_drm.h>, so that the controller's
 * interface files can be tested from userspace without a GPU. Each write is
 * one command:
 *
 *   register <card> <name> <size>    register a region (with a reclaim op)
 *
 * Sizes and byte counts take memparse() suffixes (K, M, G, ...).
 *   unregister <card>/<name>         unregister it; its charges stay
 *   charge <card>/<name> <bytes>     charge the writer's cgroup
 *   uncharge <card>/<name> <bytes>   give back bytes the writer's cgroup charged
 *   pin / unpin <card>/<name> <bytes>
 *   evict <card>/<name> <bytes>      as a driver evicting the writer's buffers
 *
 *   release <card>/<name>            give back all the writer's charges there
 *   release-all <card>/<name>        give back every charge there, of any
 *                                    cgroup (also removed ones)
 *
 * A refused charge fails with ENOSPC (the driver's view of -EAGAIN). Reading
 * ctl lists the charges it holds: "<key> <bytes> <pinned>".
 * The reclaim op of a test region evicts charges of the cgroup being limited
 * and of its descendants in 64 KiB steps, honouring their protection, like
 * TTM evicting buffer after buffer.
 */

#include <linux/cgroup.h>
#include <linux/cgroup_drm.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "drmcg_internal.h"

struct drmcg_test_region {
	struct list_head link;
	char key[64];
	struct drmcg_region *region;	/* NULL once unregistered */
	unsigned int nr_charges;	/* records pointing here */
};

/* The charges of one owner (cgroup) in one region. */
struct drmcg_test_charge {
	struct list_head link;
	struct drmcg_test_region *region;
	struct drmcg_owner *owner;
	struct drmcg_pool *pool;
	u64 bytes;
	u64 pinned;
};

static DEFINE_MUTEX(drmcg_test_lock);
/* Held for reading while a charge runs, for writing while unregistering. */
static DECLARE_RWSEM(drmcg_test_unreg_sem);
static LIST_HEAD(drmcg_test_regions);
static LIST_HEAD(drmcg_test_charges);

/* The registered test region called @key. Needs drmcg_test_lock. */
static struct drmcg_test_region *drmcg_test_find(const char *key)
{
	struct drmcg_test_region *r;

	list_for_each_entry(r, &drmcg_test_regions, link)
		if (r->region && !strcmp(r->key, key))
			return r;
	return NULL;
}

/*
 * The writer's charge record in the region called @key, registered or not:
 * charges outlive their region. Needs drmcg_test_lock.
 */
static struct drmcg_test_charge *drmcg_test_mine(const char *key,
						 struct drmcg_owner *me)
{
	struct drmcg_test_charge *c;

	list_for_each_entry(c, &drmcg_test_charges, link)
		if (c->owner == me && !strcmp(c->region->key, key))
			return c;
	return NULL;
}

static void drmcg_test_put_region(struct drmcg_test_region *r)
{
	if (!r->region && !r->nr_charges) {
		list_del(&r->link);
		kfree(r);
	}
}

static void drmcg_test_drop(struct drmcg_test_charge *c, u64 bytes)
{
	struct drmcg_test_region *r = c->region;

	c->bytes -= bytes;
	if (c->bytes) {
		/* drmcg_uncharge() drops a reference: keep the record's. */
		drmcg_uncharge(drmcg_pool_get(c->pool), bytes);
	} else {
		drmcg_uncharge(c->pool, bytes);
		list_del(&c->link);
		drmcg_owner_put(c->owner);
		kfree(c);
		r->nr_charges--;
		drmcg_test_put_region(r);
	}
}

/* Evicts unpinned bytes of one record, as a driver moving buffers out. */
static u64 drmcg_test_evict_from(struct drmcg_test_charge *c, u64 want,
				 bool hit_low)
{
	u64 n = min(want, c->bytes - c->pinned);

	if (n) {
		drmcg_report_eviction(c->pool, n, hit_low);
		drmcg_test_drop(c, n);
	}
	return n;
}

/*
 * Evicts charges of @pool's subtree in 64 KiB steps, asking the controller
 * before each step, like a driver evicting buffer after buffer: first
 * honouring low protection, then, if that was not enough, ignoring it.
 */
static int drmcg_test_reclaim(struct drmcg_pool *pool, u64 target, void *priv)
{
	struct drmcg_test_region *r = priv;
	struct drmcg_test_charge *c, *tmp;
	unsigned int pass;
	u64 freed = 0;

	mutex_lock(&drmcg_test_lock);
	for (pass = 0; pass < 2 && freed < target; pass++) {
		unsigned int flags = pass ? DRMCG_EVICT_IGNORE_LOW : 0;

		list_for_each_entry_safe(c, tmp, &drmcg_test_charges, link) {
			bool gone = false;

			while (!gone && freed < target && c->region == r) {
				bool hit_low = false;
				u64 step = min3(target - freed, c->bytes - c->pinned,
						(u64)SZ_64K);

				if (!step ||
				    !drmcg_evict_valuable(pool, c->pool, NULL, flags,
							  &hit_low))
					break;
				gone = step == c->bytes;
				freed += drmcg_test_evict_from(c, step, hit_low);
			}
		}
	}
	mutex_unlock(&drmcg_test_lock);
	return freed ? 0 : -ENOSPC;
}

static const struct drmcg_region_ops drmcg_test_ops = {
	.reclaim = drmcg_test_reclaim,
};

static int drmcg_test_register(const char *card, const char *name, u64 size)
{
	struct drmcg_test_region *r;
	struct drmcg_region *region;

	r = kzalloc_obj(*r, GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	snprintf(r->key, sizeof(r->key), "%s/%s", card, name);
	region = drmcg_register_region(card, name, size, &drmcg_test_ops, r);
	if (IS_ERR(region)) {
		kfree(r);
		return PTR_ERR(region);
	}
	r->region = region;
	list_add_tail(&r->link, &drmcg_test_regions);
	return 0;
}

/*
 * Charges run outside drmcg_test_lock, as a driver's do (TTM charges each
 * placement without a global lock): concurrent first charges of a cgroup
 * reach the controller at the same time. drmcg_test_unreg_sem keeps the
 * region registered meanwhile. Called with drmcg_test_lock held; returns
 * with it held.
 */
static int drmcg_test_charge(struct drmcg_test_region *r, u64 bytes)
{
	struct drmcg_owner *me = drmcg_owner_get_current();
	struct drmcg_pool *pool, *limit = NULL;
	struct drmcg_region *region = r->region;
	struct drmcg_test_charge *c;
	int ret;

	/* @r is not freed while it counts a charge in progress. */
	r->nr_charges++;
	mutex_unlock(&drmcg_test_lock);
	ret = drmcg_try_charge_owner(region, me, bytes, &pool, &limit);
	mutex_lock(&drmcg_test_lock);
	r->nr_charges--;
	if (ret) {
		if (limit)
			drmcg_pool_put(limit);
		drmcg_owner_put(me);
		drmcg_test_put_region(r);
		return ret == -EAGAIN ? -ENOSPC : ret;
	}
	c = drmcg_test_mine(r->key, me);
	if (c && c->region == r) {
		/* One pool reference per record is enough. */
		c->bytes += bytes;
		drmcg_pool_put(pool);
		drmcg_owner_put(me);
		return 0;
	}
	c = kzalloc_obj(*c, GFP_KERNEL);
	if (!c) {
		drmcg_uncharge(pool, bytes);
		drmcg_owner_put(me);
		drmcg_test_put_region(r);
		return -ENOMEM;
	}
	c->region = r;
	c->owner = me;
	c->pool = pool;
	c->bytes = bytes;
	r->nr_charges++;
	list_add_tail(&c->link, &drmcg_test_charges);
	return 0;
}

/* A byte count with an optional K/M/G... suffix, as memparse() reads it. */
static int drmcg_test_parse(char *s, unsigned long long *n)
{
	char *end;

	*n = memparse(s, &end);
	return end == s || *end ? -EINVAL : 0;
}

static int drmcg_test_cmd(char *buf)
{
	struct drmcg_owner *me;
	struct drmcg_test_region *r;
	struct drmcg_test_charge *c;
	char cmd[16], a[64], b[64], size[64];
	unsigned long long n;
	int ret, fields;

	fields = sscanf(buf, "%15s %63s %63s %63s", cmd, a, b, size);
	if (fields < 2)
		return -EINVAL;
	if (!strcmp(cmd, "register")) {
		if (fields != 4 || drmcg_test_parse(size, &n))
			return -EINVAL;
		return drmcg_test_register(a, b, n);
	}
	if (!strcmp(cmd, "release-all")) {
		struct drmcg_test_charge *tmp;

		if (fields != 2)
			return -EINVAL;
		list_for_each_entry_safe(c, tmp, &drmcg_test_charges, link) {
			if (strcmp(c->region->key, a))
				continue;
			drmcg_unpin(c->pool, c->pinned);
			c->pinned = 0;
			drmcg_test_drop(c, c->bytes);
		}
		return 0;
	}
	if (!strcmp(cmd, "release")) {
		if (fields != 2)
			return -EINVAL;
		me = drmcg_owner_get_current();
		c = drmcg_test_mine(a, me);
		drmcg_owner_put(me);
		if (c) {
			drmcg_unpin(c->pool, c->pinned);
			c->pinned = 0;
			drmcg_test_drop(c, c->bytes);
		}
		return 0;
	}
	if (fields != 3 || drmcg_test_parse(b, &n))
		return -EINVAL;
	if (!strcmp(cmd, "charge")) {
		r = drmcg_test_find(a);
		return r ? drmcg_test_charge(r, n) : -ENODEV;
	}

	me = drmcg_owner_get_current();
	c = drmcg_test_mine(a, me);
	drmcg_owner_put(me);
	if (!c)
		return -ENOENT;
	ret = 0;
	if (!strcmp(cmd, "uncharge")) {
		if (n > c->bytes - c->pinned)
			return -EINVAL;
		drmcg_test_drop(c, n);
	} else if (!strcmp(cmd, "pin")) {
		if (n > c->bytes - c->pinned)
			return -EINVAL;
		ret = drmcg_pin(c->pool, n);
		if (!ret)
			c->pinned += n;
	} else if (!strcmp(cmd, "unpin")) {
		if (n > c->pinned)
			return -EINVAL;
		drmcg_unpin(c->pool, n);
		c->pinned -= n;
	} else if (!strcmp(cmd, "evict")) {
		if (n > c->bytes - c->pinned)
			return -EINVAL;
		drmcg_test_evict_from(c, n, false);
	} else {
		ret = -EINVAL;
	}
	return ret;
}

/*
 * Unregistering waits for a running reclaim callback, which takes
 * drmcg_test_lock: so unregister without holding it. The region is marked
 * dead first (no new charges find it) and kept alive by a temporary
 * reference meanwhile; its charges stay valid and are given back by their
 * owners.
 */
static int drmcg_test_unregister(const char *key)
{
	struct drmcg_test_region *r;
	struct drmcg_region *region;

	mutex_lock(&drmcg_test_lock);
	r = drmcg_test_find(key);
	if (!r) {
		mutex_unlock(&drmcg_test_lock);
		return -ENODEV;
	}
	region = r->region;
	r->region = NULL;
	r->nr_charges++;
	mutex_unlock(&drmcg_test_lock);

	/* Wait for charges in progress in the region; later ones do not find it. */
	down_write(&drmcg_test_unreg_sem);
	up_write(&drmcg_test_unreg_sem);
	drmcg_unregister_region(region);

	mutex_lock(&drmcg_test_lock);
	r->nr_charges--;
	drmcg_test_put_region(r);
	mutex_unlock(&drmcg_test_lock);
	return 0;
}

static ssize_t drmcg_test_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	char *buf;
	int ret;

	if (len == 0 || len > 256)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (!strncmp(buf, "unregister ", 11)) {
		ret = drmcg_test_unregister(strim(buf + 11));
	} else {
		down_read(&drmcg_test_unreg_sem);
		mutex_lock(&drmcg_test_lock);
		ret = drmcg_test_cmd(buf);
		mutex_unlock(&drmcg_test_lock);
		up_read(&drmcg_test_unreg_sem);
	}
	kfree(buf);
	return ret ? ret : len;
}

static int drmcg_test_show(struct seq_file *m, void *v)
{
	struct drmcg_test_charge *c;

	mutex_lock(&drmcg_test_lock);
	list_for_each_entry(c, &drmcg_test_charges, link)
		seq_printf(m, "%s %llu %llu\n",
			   c->region->key, c->bytes, c->pinned);
	mutex_unlock(&drmcg_test_lock);
	return 0;
}

static int drmcg_test_open(struct inode *inode, struct file *file)
{
	return single_open(file, drmcg_test_show, NULL);
}

static const struct file_operations drmcg_test_fops = {
	.owner = THIS_MODULE,
	.open = drmcg_test_open,
	.read = seq_read,
	.write = drmcg_test_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int drmcg_test_pools_get(void *data, u64 *val)
{
	*val = drmcg_live_pools();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(drmcg_test_pools_fops, drmcg_test_pools_get, NULL,
			 "%llu\n");

static int drmcg_test_high_show(struct seq_file *m, void *v)
{
	u64 queued, runs, max_in_flight;

	drmcg_high_reclaim_stats(&queued, &runs, &max_in_flight);
	seq_printf(m, "queued %llu\nruns %llu\nmax_in_flight %llu\n", queued, runs,
		   max_in_flight);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(drmcg_test_high);

static int __init drmcg_test_init(void)
{
	struct dentry *dir = debugfs_create_dir("drm_cgroup", NULL);

	/*
	 * Background reclaim down to drm.high: items queued, runs, and the most
	 * items ever pending for one cgroup at a time.
	 */
	debugfs_create_file("high_reclaim", 0400, dir, NULL, &drmcg_test_high_fops);
	debugfs_create_file("ctl", 0600, dir, NULL, &drmcg_test_fops);
	/* How many (cgroup, region) pools exist: tests check that none leaks. */
	debugfs_create_file_unsafe("pools", 0400, dir, NULL, &drmcg_test_pools_fops);
	return 0;
}
late_initcall(drmcg_test_init);
