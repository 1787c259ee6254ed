// SPDX-License-Identifier: GPL-2.0
/*
 * Everything at once, as a fuzzer or a tenant with a delegated cgroup would
 * do it, on 2 vCPUs: processes race mkdir/rmdir of a small tree, moving
 * tasks, first charges, buffers created, moved, pinned and freed on the
 * test device (CONFIG_DRM_DRMCG_TEST) and through the test interface,
 * writes of every limit file (reclaim included), drm.reclaim, reads of
 * every file, drm.peak resets, and unbinding/rebinding the test device
 * with buffers alive. At the end every buffer is freed: every drm.current must read 0,
 * every pool must be freed once the regions are gone, and the kernel log
 * must be clean (scripts/guest.sh checks it).
 *
 *   hunt [seconds [roles]]   (default 12 s, 60 in make check-debug, from the
 *                            kernel command line: drmcg_hunt_seconds=N;
 *                            roles: a bit mask of the processes to run,
 *                            to narrow a failure down)
 *
 * Prints the operations of each kind. Static binary run in the guest.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "drmcg_test.h"
#include "drmcg_drm.h"
#include "drmcg_test_drm.h"

#define DBG "/sys/kernel/debug/drm_cgroup"
#define DRIVER "drmcg_test"
#define PLATFORM_DRIVER "/sys/bus/platform/drivers/drmcg_test"
#define HUNT "hunt"
#define CTLKEY "hunt:00.0/vram0"
#define NCG 9
#define MAXBO 64

/* Operation counts, shared by all processes. */
struct counts {
	atomic_long mkdir, rmdir, moves, creates, create_fail, validates, closes;
	atomic_long ctl, writes, write_fail, reads, peaks, reclaims, rebinds, tree_charged;
	atomic_int stop;
};

static struct counts *n;
static char card[64];
static const char *cgs[NCG] = {
	"hunt/a", "hunt/a/x", "hunt/a/y", "hunt/b", "hunt/b/x", "hunt/b/y",
	"hunt/c", "hunt/c/x", "hunt/c/x/z",
};

static unsigned int rnd(unsigned int *seed)
{
	return rand_r(seed);
}

static int stopped(void)
{
	return atomic_load(&n->stop);
}

/* Moves the calling process to cgroup @cg (relative to CG); 0 or -errno. */
static int enter(const char *cg)
{
	return cg_put(cg, "cgroup.procs", "%d", getpid());
}

static void enter_random(unsigned int *seed)
{
	if (!enter(cgs[rnd(seed) % NCG]))
		atomic_fetch_add(&n->moves, 1);
}

static void mkcg(const char *cg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", CG, cg);
	if (!mkdir(path, 0755))
		atomic_fetch_add(&n->mkdir, 1);
	/* Leaves of the tree have no subtree_control: tasks may live there. */
	snprintf(path, sizeof(path), "%s/%s/cgroup.subtree_control", CG, cg);
	if (strcmp(cg, HUNT) && strcmp(cg, "hunt/a") && strcmp(cg, "hunt/b") &&
	    strcmp(cg, "hunt/c") && strcmp(cg, "hunt/c/x"))
		return;
	put(path, "+drm");
}

/* Creates and removes cgroups of the tree; removal fails while in use. */
static int churner(unsigned int seed)
{
	char path[256];

	while (!stopped()) {
		int i = rnd(&seed) % NCG;

		snprintf(path, sizeof(path), "%s/%s", CG, cgs[i]);
		if (rnd(&seed) % 2) {
			if (!rmdir(path))
				atomic_fetch_add(&n->rmdir, 1);
		} else {
			/* Parents first. */
			int j;

			for (j = 0; j <= i; j++)
				if (!strncmp(cgs[i], cgs[j], strlen(cgs[j])))
					mkcg(cgs[j]);
		}
		usleep(rnd(&seed) % 2000);
	}
	return 0;
}

static const unsigned int domain_sets[] = {
	DRMCG_TEST_DOMAIN_TILE0, DRMCG_TEST_DOMAIN_TILE1, DRMCG_TEST_DOMAIN_SYSTEM,
	DRMCG_TEST_DOMAIN_TILE0 | DRMCG_TEST_DOMAIN_SYSTEM,
	DRMCG_TEST_DOMAIN_TILE1 | DRMCG_TEST_DOMAIN_TILE0,
};

/* Creates, moves, pins and frees buffers of the test device. */
static int device_worker(unsigned int seed)
{
	unsigned int bo[MAXBO] = { 0 };
	int fd = -1, i;

	while (!stopped()) {
		unsigned int op = rnd(&seed) % 16;

		if (fd < 0) {
			fd = drm_find_driver(DRIVER, NULL, 0);
			if (fd < 0) {
				usleep(10000);
				continue;
			}
			memset(bo, 0, sizeof(bo));
		}
		i = rnd(&seed) % MAXBO;
		if (op < 2) {
			enter_random(&seed);
		} else if (op < 8 && !bo[i]) {
			struct drm_drmcg_test_create c = {
				.size = (64 << 10) << (rnd(&seed) % 6),
				.domains = domain_sets[rnd(&seed) % 5],
				.flags = rnd(&seed) % 8 ? 0 :
					 (rnd(&seed) % 2 ? DRMCG_TEST_PIN :
					  DRMCG_TEST_NO_EVICT_OTHERS),
			};

			if (ioctl(fd, DRM_IOCTL_DRMCG_TEST_CREATE, &c) == 0) {
				bo[i] = c.handle;
				atomic_fetch_add(&n->creates, 1);
			} else {
				atomic_fetch_add(&n->create_fail, 1);
				if (errno == ENODEV) {
					/* Unbound: this fd is dead. */
					close(fd);
					fd = -1;
				}
			}
		} else if (op < 13 && bo[i]) {
			struct drm_drmcg_test_validate v = {
				.handle = bo[i],
				.domains = domain_sets[rnd(&seed) % 5],
				.flags = rnd(&seed) % 8 ? 0 : DRMCG_TEST_UNPIN,
			};

			if (ioctl(fd, DRM_IOCTL_DRMCG_TEST_VALIDATE, &v) && errno == ENODEV) {
				close(fd);
				fd = -1;
			}
			atomic_fetch_add(&n->validates, 1);
		} else if (bo[i]) {
			struct drm_gem_close c = { .handle = bo[i] };

			ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
			bo[i] = 0;
			atomic_fetch_add(&n->closes, 1);
		}
	}
	/* Closing the file frees every buffer left. */
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Charges through the test interface, as a driver without TTM would. */
static int ctl_worker(unsigned int seed)
{
	while (!stopped()) {
		unsigned int kb = 4 << (rnd(&seed) % 8);

		switch (rnd(&seed) % 8) {
		case 0:
			enter_random(&seed);
			break;
		case 1:
		case 2:
			put(DBG "/ctl", "charge " CTLKEY " %uK", kb);
			break;
		case 3:
			put(DBG "/ctl", "uncharge " CTLKEY " %uK", kb);
			break;
		case 4:
			put(DBG "/ctl", "pin " CTLKEY " 4K");
			break;
		case 5:
			put(DBG "/ctl", "unpin " CTLKEY " 4K");
			break;
		default:
			put(DBG "/ctl", "release " CTLKEY);
			break;
		}
		atomic_fetch_add(&n->ctl, 1);
	}
	return 0;
}

static const char *files[] = {
	"drm.min", "drm.low", "drm.high", "drm.max", "drm.current", "drm.peak",
	"drm.events", "drm.events.local", "drm.stat", "drm.reclaim",
};

/* Writes every limit file with every key, reads every file, resets peaks. */
static int limiter(unsigned int seed)
{
	char tile0[128], tile1[128], sys[128], buf[4096], path[256];
	const char *keys[4] = { tile0, tile1, sys, CTLKEY };
	int peak_fd = -1;

	while (!stopped()) {
		const char *cg = cgs[rnd(&seed) % NCG];
		const char *file = files[rnd(&seed) % 10];
		const char *key = keys[rnd(&seed) % 4];
		int fd;

		snprintf(tile0, sizeof(tile0), "%s/tile0", card);
		snprintf(tile1, sizeof(tile1), "%s/tile1", card);
		snprintf(sys, sizeof(sys), "%s/system", card);
		snprintf(path, sizeof(path), "%s/%s/%s", CG, cg, file);
		if (!strcmp(file, "drm.peak")) {
			if (peak_fd >= 0 && rnd(&seed) % 4 == 0) {
				close(peak_fd);
				peak_fd = -1;
			}
			if (peak_fd < 0)
				peak_fd = open(path, O_RDWR);
			if (peak_fd >= 0 && write(peak_fd, "reset", 5) == 5)
				atomic_fetch_add(&n->peaks, 1);
			if (peak_fd >= 0 && pread(peak_fd, buf, sizeof(buf), 0) >= 0)
				atomic_fetch_add(&n->reads, 1);
			continue;
		}
		if (!strcmp(file, "drm.reclaim")) {
			/* Proactive reclaim; EAGAIN when nothing more can go. */
			if (!cg_put(cg, "drm.reclaim", "%s %uK", key, 64 << (rnd(&seed) % 8)))
				atomic_fetch_add(&n->reclaims, 1);
			continue;
		}
		if (strstr("drm.min drm.low drm.high drm.max", file) && rnd(&seed) % 2) {
			char v[160];
			int len;

			if (rnd(&seed) % 4 == 0)
				len = snprintf(v, sizeof(v), "%s max", key);
			else
				len = snprintf(v, sizeof(v), "%s %uK", key,
					       64 << (rnd(&seed) % 10));
			fd = open(path, O_WRONLY | (rnd(&seed) % 4 ? 0 : O_NONBLOCK));
			if (fd >= 0) {
				if (write(fd, v, len) == len)
					atomic_fetch_add(&n->writes, 1);
				else
					atomic_fetch_add(&n->write_fail, 1);
				close(fd);
			}
			continue;
		}
		if (read_file(path, buf, sizeof(buf)) >= 0)
			atomic_fetch_add(&n->reads, 1);
	}
	if (peak_fd >= 0)
		close(peak_fd);
	return 0;
}

/* Unbinds and rebinds the test device every second or so. */
static int rebinder(unsigned int seed)
{
	while (!stopped()) {
		usleep(500000 + rnd(&seed) % 1000000);
		if (stopped())
			break;
		if (put(PLATFORM_DRIVER "/unbind", DRIVER) == 0) {
			usleep(rnd(&seed) % 100000);
			check(put(PLATFORM_DRIVER "/bind", DRIVER) == 0, "rebind");
			atomic_fetch_add(&n->rebinds, 1);
		}
	}
	return 0;
}

/* Checks that no cgroup of the tree has any usage left in any region. */
static void check_zero(const char *cg)
{
	char path[256], buf[4096], *line, *save = NULL;

	snprintf(path, sizeof(path), "%s/%s/drm.current", CG, cg);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strrchr(line, ' ');

		/* qxl's regions belong to the console, not to these tests. */
		if (v && strncmp(line, card, strlen(card)) && strncmp(line, "hunt:", 5))
			continue;
		check(v && atoll(v + 1) == 0, "%s: %s after everything was freed", cg, line);
	}
}

static long long pools(void)
{
	char buf[64];

	return read_file(DBG "/pools", buf, sizeof(buf)) < 0 ? -1 : atoll(buf);
}

static int seconds_from_cmdline(void)
{
	char buf[1024], *p;

	if (read_file("/proc/cmdline", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "drmcg_hunt_seconds=");
	return p ? atoi(p + strlen("drmcg_hunt_seconds=")) : 0;
}

int main(int argc, char **argv)
{
	int (*const roles[])(unsigned int) = {
		churner, device_worker, device_worker, ctl_worker, limiter, limiter,
		rebinder,
	};
	int nroles = sizeof(roles) / sizeof(roles[0]);
	int seconds = argc > 1 ? atoi(argv[1]) : seconds_from_cmdline();
	int mask = argc > 2 ? (int)strtol(argv[2], NULL, 0) : -1;
	long long pools_before, p = -1;
	pid_t pids[16];
	int i, fd, status;

	if (seconds <= 0)
		seconds = 12;
	n = mmap(NULL, sizeof(*n), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (n == MAP_FAILED)
		return 1;
	/* The test kernels have the device: without it, something broke. */
	fd = drm_open_driver(DRIVER, card, sizeof(card));
	if (fd < 0)
		return 1;
	close(fd);
	/* The pools that exist without the regions under test. */
	check(put(PLATFORM_DRIVER "/unbind", DRIVER) == 0, "unbind");
	pools_before = pools();
	check(put(PLATFORM_DRIVER "/bind", DRIVER) == 0, "bind");
	check(put(DBG "/ctl", "register hunt:00.0 vram0 64M") == 0, "register");
	mkcg(HUNT);
	for (i = 0; i < NCG; i++)
		mkcg(cgs[i]);

	printf("hunt: %d s, %d processes, seed %d\n", seconds, nroles, 1);
	for (i = 0; i < nroles; i++) {
		pids[i] = mask & (1 << i) ? fork() : -1;
		if (!pids[i]) {
			int ret = roles[i](1000 + i);

			_exit(ret || failures ? 1 : 0);
		}
	}
	for (i = 0; i < seconds; i++) {
		sleep(1);
		/* The tree must really be charged, not the root. */
		if (cg_get(HUNT, "drm.current", CTLKEY, NULL) > 0)
			atomic_fetch_add(&n->tree_charged, 1);
	}
	atomic_store(&n->stop, 1);
	for (i = 0; i < nroles; i++) {
		if (pids[i] < 0)
			continue;
		check(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0, "process %d: %#x", i, status);
	}

	/* Everything is freed: nothing may be left charged anywhere. */
	check(put(DBG "/ctl", "release-all " CTLKEY) == 0, "release-all");
	check_zero("");
	for (i = 0; i < NCG; i++)
		check_zero(cgs[i]);
	check_zero(HUNT);
	for (i = NCG - 1; i >= 0; i--) {
		char path[256];

		snprintf(path, sizeof(path), "%s/%s", CG, cgs[i]);
		rmdir(path);
	}
	rmdir(CG "/" HUNT);
	/* Unregistering frees every pool of a region, even of dying cgroups. */
	check(put(DBG "/ctl", "unregister " CTLKEY) == 0, "unregister");
	check(put(PLATFORM_DRIVER "/unbind", DRIVER) == 0, "unbind at the end");
	for (i = 0; i < 100; i++) {
		p = pools();
		/* Cgroups removed by earlier tests may free theirs meanwhile. */
		if (p <= pools_before)
			break;
		usleep(100000);
	}
	check(p <= pools_before, "%lld pools left, %lld before", p, pools_before);
	check(put(PLATFORM_DRIVER "/bind", DRIVER) == 0, "bind at the end");

	printf("hunt: mkdir %ld rmdir %ld moves %ld; buffers: %ld created (%ld refused), "
	       "%ld validated, %ld freed; test interface %ld; limit writes %ld (%ld "
	       "refused); reads %ld; peak resets %ld; reclaims %ld; rebinds %ld\n",
	       n->mkdir, n->rmdir, n->moves, n->creates, n->create_fail, n->validates,
	       n->closes, n->ctl, n->writes, n->write_fail, n->reads, n->peaks,
	       n->reclaims, n->rebinds);
	check(mask != -1 || (n->creates > 0 && n->rebinds > 0 && n->writes > 0 &&
			     n->reads > 0 && n->peaks > 0 && n->tree_charged > 0),
	      "hunt did too little");
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: hunt\n");
	return 0;
}
