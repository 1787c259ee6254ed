/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the C guest tests (scripts/guest.sh builds them with
 * this folder on the include path).
 */
#ifndef DRMCG_TEST_H
#define DRMCG_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where cgroup2 is mounted in the guest. */
#define CG "/sys/fs/cgroup"
#define KB 1024LL
#define MB (1024LL * 1024)

#define DRMCG_TEST_UNUSED __attribute__((unused))

/* Failed checks so far; a test exits non-zero if any. */
static int failures;

/* Counts and reports a failed check; the test goes on. */
static DRMCG_TEST_UNUSED __attribute__((format(printf, 2, 3)))
void check(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failures++;
}

/* Writes the formatted string to @path in one write(): 0 or -errno. */
static DRMCG_TEST_UNUSED __attribute__((format(printf, 2, 3)))
int put(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, len, ret;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, buf, len) == len ? 0 : -errno;
	close(fd);
	return ret;
}

/*
 * put() on the file @file of cgroup @cg (a path relative to CG, "" for the
 * root): 0 or -errno.
 */
static DRMCG_TEST_UNUSED __attribute__((format(printf, 3, 4)))
int cg_put(const char *cg, const char *file, const char *fmt, ...)
{
	char path[256], buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s/%s", CG, cg, file);
	return put(path, "%s", buf);
}

/*
 * Reads the file @path into @buf[@len] as a string: its length, or -1 if it
 * cannot be read or is empty.
 */
static DRMCG_TEST_UNUSED ssize_t read_file(const char *path, char *buf,
					   size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return n;
}

/*
 * The number file @path holds, with @key NULL; else the number after "<key> "
 * on the line of @path that starts so (a drm.* file, the test interface's
 * ctl). -1 if the file cannot be read or has no such line.
 */
static DRMCG_TEST_UNUSED long long read_number(const char *path, const char *key)
{
	char buf[8192], *line, *save;
	size_t n = key ? strlen(key) : 0;

	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	if (!key)
		return atoll(buf);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, n) && line[n] == ' ')
			return atoll(line + n + 1);
	return -1;
}

/*
 * The number after "<key> " in the drm.* file @file of cgroup @cg, or with
 * @name the number after "<key> ... <name>=". -1 if there is none.
 */
static DRMCG_TEST_UNUSED long long cg_get(const char *cg, const char *file,
					  const char *key, const char *name)
{
	char path[256], buf[8192], *line, *p, *save;

	snprintf(path, sizeof(path), "%s/%s/%s", CG, cg, file);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, strlen(key)) || line[strlen(key)] != ' ')
			continue;
		p = line + strlen(key) + 1;
		if (name) {
			char want[64];

			snprintf(want, sizeof(want), "%s=", name);
			p = strstr(p, want);
			if (!p)
				return -1;
			p += strlen(want);
		}
		return atoll(p);
	}
	return -1;
}

/* Moves the calling process into cgroup @cg. */
static DRMCG_TEST_UNUSED void cg_enter(const char *cg)
{
	check(cg_put(cg, "cgroup.procs", "%d", getpid()) == 0, "move to %s", cg);
}

#endif /* DRMCG_TEST_H */
