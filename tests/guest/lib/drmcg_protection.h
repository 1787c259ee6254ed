/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_memcg_protection() of tools/testing/selftests/cgroup/test_memcontrol.c
 * replayed on a drm region through TTM, with memcg's figures divided by
 * @scale to fit small devices:
 *
 *   A       max = 200M
 *   A/B     min = 50M
 *   A/B/C   min = 75M    current = 50M
 *   A/B/D   min = 25M    current = 50M
 *   A/B/E   min = 0      current = 50M
 *   A/B/F   min = 500M   current = 0
 *   A/G     allocates 160M: A goes over its max and TTM evicts within A.
 *
 * memcg expects B ~= 50M, C ~= 29M, D ~= 21M, E ~= 0, F = 0, within 15% for
 * C and 20% for D. TTM evicts whole buffers in LRU order rather than
 * reclaiming proportionally, which settles at C = D = 25M, inside those
 * tolerances. Run once with drm.min and once with drm.low. With low, TTM
 * takes G's own older buffers before it breaches B's protection, so unlike
 * memcg no low events are counted here.
 */
#ifndef DRMCG_PROTECTION_H
#define DRMCG_PROTECTION_H

#include <sys/stat.h>

#include "drmcg_test.h"

/* Buffers of 50M / 40 (before scaling): 40 per leaf, 128 for G. */
#define PROT_UNITS_PER_LEAF 40
#define PROT_UNITS_OF_G 128

struct prot_device {
	int fd;
	/* The region's key in the drm.* files. */
	const char *key;
	/* memcg's figures are divided by this. */
	int scale;
	/* Creates a buffer of @size bytes in the caller's cgroup: handle or 0. */
	unsigned int (*alloc)(int fd, long long size);
	/* Frees it. */
	void (*release)(int fd, unsigned int handle);
};

/* memcg's values_close(): |a - b| <= (a + b) / 100 * err */
static DRMCG_TEST_UNUSED int close_to(long long a, long long b, int err)
{
	return llabs(a - b) <= (a + b) / 100 * err;
}

static DRMCG_TEST_UNUSED void prot_run(const struct prot_device *d,
				       const char *knob)
{
	static const char *const leaves[] = { "A/B/C", "A/B/D", "A/B/E" };
	static const char *const dirs[] = {
		"A", "A/B", "A/G", "A/B/C", "A/B/D", "A/B/E", "A/B/F",
	};
	const long long s = d->scale, unit = 50 * MB / PROT_UNITS_PER_LEAF / s;
	unsigned int handles[3 * PROT_UNITS_PER_LEAF + PROT_UNITS_OF_G];
	long long b, c, d_, e, f;
	char path[256];
	int n = 0, i, j;

	printf("-- %s on %s, figures / %lld\n", knob, d->key, s);
	for (i = 0; i < (int)(sizeof(dirs) / sizeof(dirs[0])); i++) {
		snprintf(path, sizeof(path), "%s/%s", CG, dirs[i]);
		check(mkdir(path, 0755) == 0, "mkdir %s", dirs[i]);
		if (i < 2)
			check(cg_put(dirs[i], "cgroup.subtree_control", "+drm") == 0,
			      "%s +drm", dirs[i]);
	}
	check(cg_put("A", "drm.max", "%s %lld", d->key, 200 * MB / s) == 0, "A max");
	check(cg_put("A/B", knob, "%s %lld", d->key, 50 * MB / s) == 0, "B %s", knob);
	check(cg_put("A/B/C", knob, "%s %lld", d->key, 75 * MB / s) == 0, "C %s", knob);
	check(cg_put("A/B/D", knob, "%s %lld", d->key, 25 * MB / s) == 0, "D %s", knob);
	check(cg_put("A/B/E", knob, "%s 0", d->key) == 0, "E %s", knob);
	check(cg_put("A/B/F", knob, "%s %lld", d->key, 500 * MB / s) == 0, "F %s", knob);

	/* C, D and E allocate 50M each, interleaved. */
	for (j = 0; j < PROT_UNITS_PER_LEAF; j++) {
		for (i = 0; i < 3; i++) {
			cg_enter(leaves[i]);
			handles[n] = d->alloc(d->fd, unit);
			check(handles[n] != 0, "alloc in %s", leaves[i]);
			n++;
		}
	}
	b = cg_get("A/B", "drm.current", d->key, NULL);
	check(b == 150 * MB / s, "B before pressure: %lld", b);

	/* Pressure from G, a sibling of B. */
	cg_enter("A/G");
	for (j = 0; j < PROT_UNITS_OF_G; j++) {
		handles[n] = d->alloc(d->fd, unit);
		check(handles[n] != 0, "alloc in G");
		n++;
	}
	b = cg_get("A/B", "drm.current", d->key, NULL);
	c = cg_get("A/B/C", "drm.current", d->key, NULL);
	d_ = cg_get("A/B/D", "drm.current", d->key, NULL);
	e = cg_get("A/B/E", "drm.current", d->key, NULL);
	f = cg_get("A/B/F", "drm.current", d->key, NULL);
	printf("A %lld, B %lld, C %lld, D %lld, E %lld, F %lld, G %lld\n",
	       cg_get("A", "drm.current", d->key, NULL), b, c, d_, e, f,
	       cg_get("A/G", "drm.current", d->key, NULL));
	check(cg_get("A", "drm.current", d->key, NULL) <= 200 * MB / s,
	      "A over its max");
	check(close_to(b, 50 * MB / s, 10), "B: %lld, expected ~50M / %lld", b, s);
	check(close_to(c, 29 * MB / s, 15), "C: %lld, expected ~29M / %lld", c, s);
	check(close_to(d_, 21 * MB / s, 20), "D: %lld, expected ~21M / %lld", d_, s);
	check(e == 0, "E: %lld, expected 0", e);
	check(f == 0, "F: %lld, expected 0", f);

	cg_enter("");
	for (i = 0; i < n; i++)
		d->release(d->fd, handles[i]);
	check(cg_get("A", "drm.current", d->key, NULL) == 0, "A after free: %lld",
	      cg_get("A", "drm.current", d->key, NULL));
	for (i = sizeof(dirs) / sizeof(dirs[0]) - 1; i >= 0; i--) {
		snprintf(path, sizeof(path), "%s/%s", CG, dirs[i]);
		check(rmdir(path) == 0, "rmdir %s", dirs[i]);
	}
}

#endif /* DRMCG_PROTECTION_H */
