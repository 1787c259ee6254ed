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
#include <unistd.h>

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

#endif /* DRMCG_TEST_H */
