// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency stress on 2 vCPUs: workers charge, uncharge, pin and unpin
 * from many cgroups while moving between them; another process lowers and
 * raises limits (reclaim runs concurrently); cgroups are removed with live
 * charges; a region is unregistered while it is being charged. At the end
 * every charge is given back: every drm.current must read 0, and once the
 * regions are unregistered every pool created for them must be freed, the
 * root cgroup's included.
 * Static binary run in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drmcg_test.h"

#define STRESS_CG "/sys/fs/cgroup/stress"
#define DBG "/sys/kernel/debug/drm_cgroup"
#define K1 "stress:00.0/vram0"
#define K2 "stress:00.0/vram1"
#define NCG 8
#define WORKERS 4
#define SECONDS 6

static void move_to(int i)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/c%d/cgroup.procs", STRESS_CG, i);
	put(path, "%d", getpid());
}

static int worker(unsigned int seed)
{
	time_t end = time(NULL) + SECONDS;
	unsigned long ops = 0;

	srand(seed);
	while (time(NULL) < end) {
		const char *key = rand() % 4 ? K1 : K2;
		unsigned int kb = 4 << (rand() % 8);

		move_to(rand() % NCG);
		switch (rand() % 6) {
		case 0:
		case 1:
			put(DBG "/ctl", "charge %s %uK", key, kb);
			break;
		case 2:
			put(DBG "/ctl", "uncharge %s %uK", key, kb);
			break;
		case 3:
			put(DBG "/ctl", "pin %s 4K", key);
			break;
		case 4:
			put(DBG "/ctl", "unpin %s 4K", key);
			break;
		case 5:
			put(DBG "/ctl", "release %s", key);
			break;
		}
		ops++;
	}
	printf("worker %u: %lu operations\n", seed, ops);
	return 0;
}

static int limiter(void)
{
	time_t end = time(NULL) + SECONDS;
	unsigned long writes = 0;
	char path[128];

	srand(1);
	while (time(NULL) < end) {
		int i = rand() % (NCG + 1);

		if (i == NCG)
			snprintf(path, sizeof(path), "%s/drm.max", STRESS_CG);
		else
			snprintf(path, sizeof(path), "%s/c%d/drm.max", STRESS_CG, i);
		if (rand() % 3)
			put(path, "%s %uK", K1, 64 << (rand() % 6));
		else
			put(path, "%s max", K1);
		writes++;
	}
	printf("limiter: %lu limit writes\n", writes);
	return 0;
}

int main(void)
{
	long long pools_before, pools = -1, cur;
	int i, status;
	pid_t pids[WORKERS + 1];
	char path[128];

	pools_before = read_number(DBG "/pools", NULL);
	if (put(DBG "/ctl", "register stress:00.0 vram0 1G") ||
	    put(DBG "/ctl", "register stress:00.0 vram1 1G")) {
		printf("FAIL: register\n");
		return 1;
	}
	mkdir(STRESS_CG, 0755);
	put(STRESS_CG "/cgroup.subtree_control", "+drm");
	for (i = 0; i < NCG; i++) {
		snprintf(path, sizeof(path), "%s/c%d", STRESS_CG, i);
		mkdir(path, 0755);
	}
	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		if (!pids[i])
			return worker(100 + i);
	}
	pids[WORKERS] = fork();
	if (!pids[WORKERS])
		return limiter();

	/* Meanwhile: remove cgroups with live charges, unregister vram1. */
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/gone%d", STRESS_CG, i);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/gone%d/cgroup.procs", STRESS_CG, i);
		put(path, "%d", getpid());
		put(DBG "/ctl", "charge %s 1M", K1);
		put(DBG "/ctl", "charge %s 1M", K2);
		put("/sys/fs/cgroup/cgroup.procs", "%d", getpid());
		snprintf(path, sizeof(path), "%s/gone%d", STRESS_CG, i);
		if (rmdir(path)) {
			printf("FAIL: rmdir of a cgroup with charges: %s\n", strerror(errno));
			failures++;
		}
		sleep(1);
	}
	if (put(DBG "/ctl", "unregister %s", K2)) {
		printf("FAIL: unregister with live charges\n");
		failures++;
	}

	for (i = 0; i <= WORKERS; i++) {
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("FAIL: process %d\n", i);
			failures++;
		}
	}

	/* Give everything back, including charges of removed cgroups. */
	if (put(DBG "/ctl", "release-all %s", K1) ||
	    put(DBG "/ctl", "release-all %s", K2)) {
		printf("FAIL: release-all\n");
		failures++;
	}
	cur = read_number("/sys/fs/cgroup/drm.current", K1);
	if (cur) {
		printf("FAIL: root current %lld after releasing everything\n", cur);
		failures++;
	}
	for (i = 0; i < NCG; i++) {
		snprintf(path, sizeof(path), "%s/c%d/drm.current", STRESS_CG, i);
		cur = read_number(path, K1);
		if (cur) {
			printf("FAIL: c%d current %lld\n", i, cur);
			failures++;
		}
		snprintf(path, sizeof(path), "%s/c%d", STRESS_CG, i);
		rmdir(path);
	}
	rmdir(STRESS_CG);
	put(DBG "/ctl", "unregister %s", K1);

	/* Unregistering freed every pool of the regions, the root's too. */
	for (i = 0; i < 100; i++) {
		pools = read_number(DBG "/pools", NULL);
		/* Cgroups removed by earlier tests may free theirs meanwhile. */
		if (pools <= pools_before)
			break;
		usleep(100000);
	}
	printf("pools: %lld before, %lld after\n", pools_before, pools);
	if (pools > pools_before) {
		printf("FAIL: %lld pools leaked\n", pools - pools_before);
		failures++;
	}
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: stress\n");
	return 0;
}
