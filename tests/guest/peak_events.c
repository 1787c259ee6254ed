// SPDX-License-Identifier: GPL-2.0
/*
 * drm.peak per-file reset (memory.peak semantics) and poll() wake-ups of
 * drm.events, through the same open file descriptors, as test_memcontrol.c
 * checks them for the memory controller, and drm.max written through an
 * O_NONBLOCK file. Static binary run in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drmcg_test.h"

#define PEAK_CG "/sys/fs/cgroup/peak"
#define CTL "/sys/kernel/debug/drm_cgroup/ctl"
#define KEY "0000:06:00.0/vram0"
#define MiB (1024ULL * 1024)


/* The value of KEY in the file open at @fd, read from offset 0. */
static long long value_of(int fd)
{
	char buf[4096], *line;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	line = strstr(buf, KEY " ");
	return line ? atoll(line + strlen(KEY) + 1) : -1;
}

static long long peak_of(int fd)
{
	return value_of(fd);
}

static int pending(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLPRI };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLPRI);
}

int main(void)
{
	int fd1, fd2, fd3, ev, evl;
	char path[256];

	check(put(CTL, "register 0000:06:00.0 vram0 %llu", 64 * MiB) == 0, "register");
	check(mkdir(PEAK_CG, 0755) == 0, "mkdir");
	check(put(PEAK_CG "/cgroup.procs", "%d", getpid()) == 0, "move into cgroup");

	check(put(CTL, "charge %s %llu", KEY, 4 * MiB) == 0, "charge 4M");
	check(put(CTL, "uncharge %s %llu", KEY, 3 * MiB) == 0, "uncharge 3M");

	snprintf(path, sizeof(path), "%s/drm.peak", PEAK_CG);
	fd1 = open(path, O_RDWR);
	fd2 = open(path, O_RDWR);
	check(fd1 >= 0 && fd2 >= 0, "open drm.peak");
	check(peak_of(fd1) == 4 * MiB, "peak before reset: %lld", peak_of(fd1));

	/* A reset through fd1 only affects fd1. */
	check(pwrite(fd1, "reset\n", 6, 0) == 6, "reset fd1");
	check(peak_of(fd1) == 1 * MiB, "fd1 after reset: %lld", peak_of(fd1));
	check(peak_of(fd2) == 4 * MiB, "fd2 after fd1 reset: %lld", peak_of(fd2));

	check(put(CTL, "charge %s %llu", KEY, 2 * MiB) == 0, "charge 2M");
	check(peak_of(fd1) == 3 * MiB, "fd1 follows new peak: %lld", peak_of(fd1));
	check(peak_of(fd2) == 4 * MiB, "fd2 keeps global peak: %lld", peak_of(fd2));
	check(put(CTL, "uncharge %s %llu", KEY, 2 * MiB) == 0, "uncharge 2M");

	/* A second file's reset does not lower what fd1 reports. */
	check(pwrite(fd2, "x", 1, 0) == 1, "reset fd2");
	check(peak_of(fd2) == 1 * MiB, "fd2 after reset: %lld", peak_of(fd2));
	check(peak_of(fd1) == 3 * MiB, "fd1 after fd2 reset: %lld", peak_of(fd1));

	/* A newly opened file reports the global watermark. */
	fd3 = open(path, O_RDONLY);
	check(peak_of(fd3) == 4 * MiB, "new fd: %lld", peak_of(fd3));
	check(pwrite(fd1, "", 0, 0) <= 0, "empty write");
	close(fd1);
	close(fd2);
	close(fd3);

	/* drm.events wakes up pollers when a charge is refused. */
	snprintf(path, sizeof(path), "%s/drm.events", PEAK_CG);
	ev = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "%s/drm.events.local", PEAK_CG);
	evl = open(path, O_RDONLY);
	check(ev >= 0 && evl >= 0, "open events");
	value_of(ev);
	value_of(evl);
	check(!pending(ev, 0), "events pending before any event");
	check(put(PEAK_CG "/drm.max", "%s 2M", KEY) == 0, "set max");
	check(put(CTL, "charge %s %llu", KEY, 4 * MiB) == -ENOSPC, "charge over max refused");
	check(pending(ev, 2000), "no wake-up of drm.events");
	check(pending(evl, 2000), "no wake-up of drm.events.local");
	{
		char buf[4096];
		ssize_t n = pread(ev, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = 0;
		check(strstr(buf, KEY " low=0 high=0 max=1") != NULL, "events: %s", buf);
	}
	close(ev);
	close(evl);

	/*
	 * A limit written through an O_NONBLOCK file applies at once but
	 * reclaims nothing; a blocking write reclaims down to it.
	 */
	check(put(PEAK_CG "/drm.max", "%s max", KEY) == 0, "max back to max");
	check(put(CTL, "charge %s %llu", KEY, 3 * MiB) == 0, "charge 3M");
	{
		char line[128];
		int fd = open(PEAK_CG "/drm.max", O_WRONLY | O_NONBLOCK);
		int len = snprintf(line, sizeof(line), "%s 1M", KEY);
		int cur = open(PEAK_CG "/drm.current", O_RDONLY);

		check(fd >= 0 && cur >= 0, "open drm.max O_NONBLOCK");
		check(write(fd, line, len) == len, "nonblocking write");
		close(fd);
		check(value_of(cur) == (long long)(4 * MiB), "O_NONBLOCK write reclaimed: %lld",
		      value_of(cur));
		check(put(PEAK_CG "/drm.max", "%s 1M", KEY) == 0, "blocking write");
		check(value_of(cur) <= (long long)MiB, "blocking write left %lld",
		      value_of(cur));
		close(cur);
	}
	check(put(CTL, "uncharge %s %llu", KEY, 1 * MiB) == 0, "uncharge rest");
	check(put("/sys/fs/cgroup/cgroup.procs", "%d", getpid()) == 0, "move out");
	check(put(CTL, "unregister %s", KEY) == 0, "unregister");
	check(rmdir(PEAK_CG) == 0, "rmdir");

	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: peak and events\n");
	return 0;
}
