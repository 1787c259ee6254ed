// SPDX-License-Identifier: GPL-2.0
/*
 * Demo helper: allocates qxl VRAM buffers on behalf of "jobs" in cgroups and
 * keeps them until killed.
 *
 *   qxl_jobs CGROUP COUNT [CGROUP COUNT ...]
 *
 * For each pair, in order, moves itself into CGROUP and creates COUNT
 * buffers of 1 MiB, which are charged to that cgroup. Prints "ready" when
 * done, then waits for a signal. One process holds the device (only the DRM
 * master may allocate on qxl).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "drmcg_qxl.h"

int main(int argc, char **argv)
{
	char card[64];
	int fd, i, j;

	fd = qxl_open(card, sizeof(card));
	if (fd < 0 || argc < 3 || argc % 2 == 0) {
		fprintf(stderr, "usage: qxl_jobs CGROUP COUNT [CGROUP COUNT ...]\n");
		return 1;
	}
	for (i = 1; i + 1 < argc; i += 2) {
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", argv[i]);
		f = fopen(path, "w");
		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
			perror(path);
			return 1;
		}
		for (j = 0; j < atoi(argv[i + 1]); j++) {
			struct drm_qxl_alloc a = { .size = 1 << 20 };

			if (ioctl(fd, DRM_IOCTL_QXL_ALLOC, &a)) {
				perror("DRM_IOCTL_QXL_ALLOC");
				return 1;
			}
		}
	}
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}
