// SPDX-License-Identifier: GPL-2.0
/*
 * Random writes to every drm.* file of a few nested cgroups, checked against
 * a model of the documented rules (Documentation/admin-guide/cgroup-drm.rst).
 *
 * Registers its own regions through the test interface, charges a little in
 * the leaf cgroups (and pins some of it), then performs bounded random writes:
 * well-formed lines, boundary numbers, suffixes, unknown keys, signs, second
 * lines, NUL bytes, random bytes, lines around the 4096-byte write limit,
 * empty writes, through cached and freshly opened descriptors, blocking or
 * O_NONBLOCK. After every write it checks the result (success or the exact
 * errno) and reads the file back: a rejected write must have changed
 * nothing, an accepted one exactly what the rules say. Every few hundred
 * writes, and at the end, every file of every cgroup must parse and agree
 * with the model and a few invariants. Midway one region is unregistered and
 * another registered (reusing its slot): the new one must start from the
 * defaults everywhere.
 *
 *   fuzz_files [SEED [WRITES]]     (defaults: 20261126, 100000)
 *
 * Exits non-zero on any mismatch. Static binary run as root in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "drmcg_test.h"

typedef unsigned long long u64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define U64_MAX		18446744073709551615ULL
#define CGROOT		"/sys/fs/cgroup"
#define CTL		"/sys/kernel/debug/drm_cgroup/ctl"
#define UNLIMITED	U64_MAX
#define WRITE_MAX	4096	/* kernfs limit of one cgroup file write */
#define BUF_SIZE	(WRITE_MAX + 64)
#define READ_SIZE	65536
#define MAX_KEYS	8
#define SWEEP_EVERY	500
#define TOPUP_EVERY	2000
#define MAX_REPORTS	25

/* The cgroups: index 0 is the root, then the tree below /fuzz. */
enum { CG_ROOT, CG_TOP, CG_A, CG_A1, CG_B, NR_CG };
static const char *const cg_path[NR_CG] = {
	CGROOT, CGROOT "/fuzz", CGROOT "/fuzz/a", CGROOT "/fuzz/a/a1",
	CGROOT "/fuzz/b",
};

static const int cg_parent[NR_CG] = { -1, CG_ROOT, CG_TOP, CG_A, CG_TOP };

/* The files, settings first (their index is the setting's). */
enum {
	F_MIN, F_LOW, F_HIGH, F_MAX, F_PEAK, F_CURRENT, F_EVENTS,
	F_EVENTS_LOCAL, F_STAT, F_CAPACITY, NR_FILES
};

#define NR_SETTINGS 4
static const char *const file_name[NR_FILES] = {
	"drm.min", "drm.low", "drm.high", "drm.max", "drm.peak",
	"drm.current", "drm.events", "drm.events.local", "drm.stat",
	"drm.capacity",
};

/* Our regions. The third key is 63 bytes long, the longest the helper keeps. */
struct region {
	const char *card, *name;
	u64 size;
	char key[80];
	int live;
};

static struct region regions[] = {
	{ .card = "fuzz:00.0", .name = "vram0", .size = 1024 * MB },
	{ .card = "fuzz:00.0", .name = "system", .size = 4096 * MB },
	{ .card = "fuzz-0000:ff:1f.7-with-a-rather-long-unique-name-to-reach-63",
	  .name = "v1", .size = 256 * MB },
	{ .card = "fuzz:01.0", .name = "spare", .size = 64 * MB },
	/* Registered midway, when "spare" goes. */
	{ .card = "fuzz:01.0", .name = "fresh", .size = 64 * MB },
};

#define NR_REGIONS ((int)ARRAY_SIZE(regions))
#define R_SPARE 3
#define R_FRESH 4

/* What the documented rules say each setting is: [cgroup][region][file]. */
static u64 model[NR_CG][NR_REGIONS][NR_SETTINGS];
/* Bytes the test helper holds pinned per leaf and region (never evicted). */
static u64 pinned[NR_CG][NR_REGIONS];
/* Keys of regions registered by others (other tests in the same boot). */
static char foreign[MAX_KEYS * 4][80];
static int nr_foreign;

static u64 rng_state;
static unsigned long tried, accepted, rejected, mismatches, sweeps, fresh_opens;
static unsigned long reclaims;
static char rbuf[READ_SIZE];

static void report(const char *fmt, ...)
{
	va_list ap;

	mismatches++;
	if (mismatches > MAX_REPORTS)
		return;
	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static u64 rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned int below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

/* Prints @len bytes of @buf with C escapes, at most 120 of them. */
static const char *escape(const char *buf, size_t len)
{
	static char bufs[2][600];
	static int turn;
	char *out = bufs[turn ^= 1];
	size_t i, o = 0;

	for (i = 0; i < len && i < 120; i++) {
		unsigned char c = buf[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = c;
		else
			o += snprintf(out + o, sizeof(bufs[0]) - o, "\\x%02x", c);
	}
	if (i < len)
		o += snprintf(out + o, sizeof(bufs[0]) - o, "...(%zu bytes)",
			      len);
	out[o] = 0;
	return out;
}

static int ctl(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return put(CTL, "%s", buf);
}

static int enter(int cg)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg_path[cg]);
	return put(path, "%d", getpid());
}

/* The root has drm.current and drm.capacity, the others all but the latter. */
static int file_exists(int cg, int file)
{
	if (cg == CG_ROOT)
		return file == F_CURRENT || file == F_CAPACITY;
	return file != F_CAPACITY;
}

static int is_leaf(int cg)
{
	return cg == CG_A1 || cg == CG_B;
}

static int in_subtree(int top, int cg)
{
	for (; cg >= 0; cg = cg_parent[cg])
		if (cg == top)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The documented write rules.                                         */

enum verdict {
	V_SET, V_FOREIGN, V_EINVAL, V_ENODEV, V_E2BIG, V_EBADF, V_NOTHING
};

/* The error a write with this verdict fails with, negative, or 0. */
static int verdict_errno(enum verdict v)
{
	switch (v) {
	case V_EINVAL:
		return -EINVAL;
	case V_ENODEV:
		return -ENODEV;
	case V_E2BIG:
		return -E2BIG;
	case V_EBADF:
		return -EBADF;
	default:
		return 0;
	}
}

/*
 * "<key> <value>" on one line, optionally ended by one newline; the key runs
 * up to the first blank (space or tab), then blanks, then "max" or a number
 * as memparse() reads it (decimal; hexadecimal after "0x" or "0X" when a
 * hexadecimal digit follows; octal after any other leading "0") with an
 * optional K, M, G, T, P or E (either case), fitting in 64 bits. Returns
 * V_SET with the region and value, V_FOREIGN for a region registered by
 * someone else, or V_EINVAL or V_ENODEV.
 */
static int our_key(const char *key, size_t len);
static int foreign_key(const char *key, size_t len);

/* The value of digit @c in @base, or -1. */
static int digit(char c, unsigned int base)
{
	int d = c >= '0' && c <= '9' ? c - '0' :
		c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

	return d >= 0 && (unsigned int)d < base ? d : -1;
}

static enum verdict rules(const char *buf, size_t len, int *region,
			  u64 *value)
{
	static const char suffix[] = "KMGTPE";
	size_t i, k, v, end = len;
	unsigned int shift = 0, base = 10;
	u64 n = 0;
	int r, d;

	if (end && buf[end - 1] == '\n')
		end--;
	if (!end || memchr(buf, '\n', end) || memchr(buf, 0, end))
		return V_EINVAL;
	for (k = 0; k < end && buf[k] != ' ' && buf[k] != '\t'; k++)
		;
	if (!k || k == end)
		return V_EINVAL;
	for (v = k; v < end && (buf[v] == ' ' || buf[v] == '\t'); v++)
		;
	if (v == end)
		return V_EINVAL;
	if (end - v == 3 && !memcmp(buf + v, "max", 3)) {
		n = UNLIMITED;
	} else {
		if (buf[v] == '0') {
			base = 8;
			if (v + 2 < end && (buf[v + 1] == 'x' || buf[v + 1] == 'X') &&
			    digit(buf[v + 2], 16) >= 0) {
				base = 16;
				v += 2;
			}
		}
		for (i = v; i < end && (d = digit(buf[i], base)) >= 0; i++) {
			if (n > (U64_MAX - d) / base)
				return V_EINVAL;
			n = n * base + d;
		}
		if (i == v)
			return V_EINVAL;
		if (i + 1 == end) {
			for (shift = 0; shift < 6; shift++)
				if (buf[i] == suffix[shift] ||
				    buf[i] == suffix[shift] + 'a' - 'A')
					break;
			if (shift == 6)
				return V_EINVAL;
			shift = 10 * (shift + 1);
		} else if (i != end) {
			return V_EINVAL;
		}
		if (shift && n > (U64_MAX >> shift))
			return V_EINVAL;
		n <<= shift;
	}
	r = our_key(buf, k);
	if (r < 0)
		return foreign_key(buf, k) ? V_FOREIGN : V_ENODEV;
	*region = r;
	*value = n;
	return V_SET;
}

/* ------------------------------------------------------------------ */
/* Reading and checking files.                                         */

/* Reads the whole file open at @fd from offset 0 into rbuf. */
static ssize_t read_fd(int fd)
{
	ssize_t n, total = 0;

	while (total < READ_SIZE - 1) {
		n = pread(fd, rbuf + total, READ_SIZE - 1 - total, total);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		total += n;
	}
	rbuf[total] = 0;
	return total;
}

static ssize_t read_path(const char *path)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read_fd(fd);
	close(fd);
	return n;
}

static int our_key(const char *key, size_t len)
{
	int r;

	for (r = 0; r < NR_REGIONS; r++)
		if (regions[r].live && strlen(regions[r].key) == len &&
		    !memcmp(regions[r].key, key, len))
			return r;
	return -1;
}

static int foreign_key(const char *key, size_t len)
{
	int i;

	for (i = 0; i < nr_foreign; i++)
		if (strlen(foreign[i]) == len && !memcmp(foreign[i], key, len))
			return 1;
	return 0;
}

/* A decimal number that fits in 64 bits, and nothing else. */
static int parse_u64(const char *s, const char *end, u64 *out)
{
	u64 n = 0;

	if (s == end || end - s > 20)
		return 0;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || n > (U64_MAX - (*s - '0')) / 10)
			return 0;
		n = n * 10 + (*s - '0');
	}
	*out = n;
	return 1;
}

/* The values a line holds: "<v>", or "name=<v>" fields in a fixed order. */
static const char *const events_fields[] = { "low", "high", "max", NULL };
static const char *const stat_fields[] = {
	"current", "peak", "pinned", "evicted", "evictions", "reclaimed", NULL
};

static const char *const *fields_of(int file)
{
	if (file == F_EVENTS || file == F_EVENTS_LOCAL)
		return events_fields;
	if (file == F_STAT)
		return stat_fields;
	return NULL;
}

#define MAX_FIELDS 6
struct parsed {
	/* Per region of ours: seen, values (UNLIMITED for "max"). */
	int seen[NR_REGIONS];
	u64 v[NR_REGIONS][MAX_FIELDS];
};

/*
 * Parses rbuf as the content of @file: one line per registered region, in
 * registration order, ours and others'. Returns 0 and fills @p, or reports
 * what is wrong and returns -1.
 */
static int parse_file(int cg, int file, struct parsed *p)
{
	const char *const *fields = fields_of(file);
	char *line = rbuf, *nl;
	int last = -1;

	memset(p, 0, sizeof(*p));
	for (; *line; line = nl + 1) {
		char *sp, *s;
		int r, f;

		nl = strchr(line, '\n');
		if (!nl) {
			report("%s/%s: unterminated line '%s'", cg_path[cg],
			       file_name[file], escape(line, strlen(line)));
			return -1;
		}
		sp = memchr(line, ' ', nl - line);
		if (!sp) {
			report("%s/%s: no value in '%s'", cg_path[cg],
			       file_name[file], escape(line, nl - line));
			return -1;
		}
		r = our_key(line, sp - line);
		if (r < 0) {
			if (!foreign_key(line, sp - line)) {
				report("%s/%s: unknown key in '%s'", cg_path[cg],
				       file_name[file], escape(line, nl - line));
				return -1;
			}
			continue;
		}
		if (p->seen[r] || r < last) {
			report("%s/%s: key %s repeated or out of order",
			       cg_path[cg], file_name[file], regions[r].key);
			return -1;
		}
		p->seen[r] = 1;
		last = r;
		s = sp + 1;
		if (!fields) {
			if (file < NR_SETTINGS && nl - s == 3 &&
			    !memcmp(s, "max", 3))
				p->v[r][0] = UNLIMITED;
			else if (!parse_u64(s, nl, &p->v[r][0]) ||
				 (file < NR_SETTINGS && p->v[r][0] == UNLIMITED))
				goto bad;
			continue;
		}
		for (f = 0; fields[f]; f++) {
			size_t n = strlen(fields[f]);
			char *e;

			if (f && *s++ != ' ')
				goto bad;
			if (strncmp(s, fields[f], n) || s[n] != '=')
				goto bad;
			s += n + 1;
			for (e = s; e < nl && *e != ' '; e++)
				;
			if (!parse_u64(s, e, &p->v[r][f]))
				goto bad;
			s = e;
		}
		if (s != nl)
			goto bad;
		continue;
bad:
		report("%s/%s: malformed line '%s'", cg_path[cg],
		       file_name[file], escape(line, nl - line));
		return -1;
	}
	for (last = 0; last < NR_REGIONS; last++) {
		if (regions[last].live && !p->seen[last]) {
			report("%s/%s: no line for %s", cg_path[cg],
			       file_name[file], regions[last].key);
			return -1;
		}
	}
	return 0;
}

/*
 * Compares a settings file, just read into rbuf, with the model. A mismatch
 * is reported once: the model then takes the value the file shows.
 */
static void check_settings(int cg, int file, const char *after)
{
	struct parsed p;
	int r;

	if (parse_file(cg, file, &p))
		return;
	for (r = 0; r < NR_REGIONS; r++) {
		if (!regions[r].live || p.v[r][0] == model[cg][r][file])
			continue;
		report("%s/%s %s: %llu (18446744073709551615 = max), model says %llu after '%s'",
		       cg_path[cg], file_name[file], regions[r].key, p.v[r][0],
		       model[cg][r][file], after);
		model[cg][r][file] = p.v[r][0];
	}
}

/* ------------------------------------------------------------------ */
/* Generating writes.                                                  */

static const char *const numbers[] = {
	"0", "1", "4095", "4096", "65536", "1048576", "9223372036854775807",
	"9223372036854775808", "18446744073709551614", "18446744073709551615",
	"18446744073709551616", "18446744073709551617", "99999999999999999999",
	"184467440737095516150", "00000000000000000000000000000001",
	"0000000000000000000018446744073709551615", "007", "16", "15",
	"0x10", "0XfF", "0x1E", "0x1e", "0x", "0xg", "010", "0777", "08", "019",
	"0xffffffffffffffff", "0x10000000000000000", "01777777777777777777777",
	"02000000000000000000000", "0x3fffffffffffff",
	"17179869183", "17179869184", "16383", "16384",
};

static const char suffixes[] = "KMGTPEkmgtpe";
static const char *const junk[] = {
	"-", "+", "-1", "+1", " ", "\t", "\n", "\n\n", "\r", "\f", "\v",
	"x", "B", "KB", "iB", "max", "MAX", "Max", "maxx", "0x10", "1.5",
	"e3", "1e3", "\0", "\xff", "\xc3\xa9", "/", "//", ":", " 1", "\n1",
	"\nfuzz:00.0/vram0 1",
};

static size_t add(char *buf, size_t len, const void *s, size_t n)
{
	if (len + n > BUF_SIZE)
		n = BUF_SIZE - len;
	memcpy(buf + len, s, n);
	return len + n;
}

static size_t add_str(char *buf, size_t len, const char *s)
{
	return add(buf, len, s, strlen(s));
}

/* A key: mostly one of ours, else a foreign, unregistered or mangled one. */
static size_t gen_key(char *buf, size_t len)
{
	static const char *const unknown[] = {
		"fuzz:00.0/vram", "fuzz:00.0/vram00", "fuzz:00.0", "vram0",
		"fuzz:00.0/", "/vram0", "FUZZ:00.0/vram0", "fuzz:00.0//vram0",
		"fuzz:00.0/vram0/", "fuzz:01.0/spare", "x",
	};
	unsigned int c = below(100);
	int r;

	if (c < 80) {
		do
			r = below(NR_REGIONS);
		while (!regions[r].live && below(4));
		return add_str(buf, len, regions[r].key);
	}
	return add_str(buf, len, unknown[below(ARRAY_SIZE(unknown))]);
}

static size_t gen_value(char *buf, size_t len)
{
	char num[32];
	unsigned int c = below(100);

	if (c < 15)
		return add_str(buf, len, "max");
	if (c < 45) {
		len = add_str(buf, len, numbers[below(ARRAY_SIZE(numbers))]);
	} else if (c < 75) {
		/* Page multiples up to a few hundred MB: near the charged usage. */
		snprintf(num, sizeof(num), "%llu", (rnd() % 65536) * 4096);
		len = add_str(buf, len, num);
	} else {
		snprintf(num, sizeof(num), "%llu", rnd() >> below(64));
		len = add_str(buf, len, num);
	}
	if (below(4) == 0)
		len = add(buf, len, &suffixes[below(sizeof(suffixes) - 1)], 1);
	return len;
}

static size_t gen_line(char *buf, size_t len)
{
	static const char *const seps[] = { " ", " ", " ", "\t", "  ", " \t " };

	len = gen_key(buf, len);
	len = add_str(buf, len, seps[below(ARRAY_SIZE(seps))]);
	len = gen_value(buf, len);
	if (below(2))
		len = add_str(buf, len, "\n");
	return len;
}

/* Changes one byte, inserts or deletes some, or adds junk somewhere. */
static size_t mutate(char *buf, size_t len)
{
	size_t pos = below(len + 1), n;
	const char *j;

	switch (below(5)) {
	case 0:
		if (len)
			buf[below(len)] = (char)below(256);
		return len;
	case 1:
		if (pos < len) {
			memmove(buf + pos, buf + pos + 1, len - pos - 1);
			len--;
		}
		return len;
	default:
		j = junk[below(ARRAY_SIZE(junk))];
		n = *j ? strlen(j) : 1;		/* "\0" is one NUL byte */
		if (len + n > BUF_SIZE)
			return len;
		memmove(buf + pos + n, buf + pos, len - pos);
		memcpy(buf + pos, j, n);
		return len + n;
	}
}

/* A line of @target bytes: a key, a blank, zeros, then a short value. */
static size_t gen_long(char *buf, size_t target)
{
	size_t len = gen_key(buf, 0);

	len = add_str(buf, len, " ");
	while (len + 2 < target && len < BUF_SIZE - 2)
		buf[len++] = below(8) ? '0' : (char)('0' + below(10));
	len = add_str(buf, len, below(2) ? "1" : "1K");
	if (len < target)
		len = add_str(buf, len, "\n");
	return len;
}

static size_t gen_payload(char *buf)
{
	unsigned int c = below(100);
	size_t len, i;

	if (c < 45)
		return gen_line(buf, 0);
	if (c < 75) {
		len = gen_line(buf, 0);
		for (i = below(3); i < 3; i++)
			len = mutate(buf, len);
		return len;
	}
	if (c < 82) {
		/* Two or more lines, each well-formed. */
		len = gen_line(buf, 0);
		if (!len || buf[len - 1] != '\n')
			len = add_str(buf, len, "\n");
		len = gen_line(buf, len);
		return len;
	}
	if (c < 92) {
		/* Random bytes, biased towards the grammar's characters. */
		static const char alphabet[] = "0123456789 \t\n\0-+maxKMGE/:.";

		len = below(48);
		for (i = 0; i < len; i++)
			buf[i] = below(3) ? alphabet[below(sizeof(alphabet) - 1)]
					  : (char)below(256);
		return len;
	}
	if (c < 98) {
		/* Around the kernfs limit, or just long. */
		static const size_t sizes[] = { 200, 1000, 4094, 4095, 4096,
						4097, 4100 };

		return gen_long(buf, sizes[below(ARRAY_SIZE(sizes))]);
	}
	return 0;	/* an empty write */
}

/* ------------------------------------------------------------------ */
/* Charges.                                                            */

/* The bytes the leaf @cg holds in region @r, from its drm.current. */
static u64 usage_of(int cg, int r)
{
	char path[128];
	struct parsed p;

	snprintf(path, sizeof(path), "%s/drm.current", cg_path[cg]);
	if (read_path(path) < 0 || parse_file(cg, F_CURRENT, &p))
		return 0;
	return p.v[r][0];
}

/*
 * Brings the leaves' charges back up (reclaim takes them away), a bounded
 * amount each time: a1 holds up to 96 MB of vram0 and 32 MB of system, b up
 * to 64 MB of vram0. Refused charges (over a limit) are fine.
 */
static void top_up(void)
{
	static const struct { int cg, r; u64 want; } plan[] = {
		{ CG_A1, 0, 96 * MB }, { CG_A1, 1, 32 * MB }, { CG_B, 0, 64 * MB },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(plan); i++) {
		u64 have = usage_of(plan[i].cg, plan[i].r);

		if (have >= plan[i].want)
			continue;
		if (enter(plan[i].cg)) {
			report("cannot enter %s", cg_path[plan[i].cg]);
			continue;
		}
		ctl("charge %s %llu", regions[plan[i].r].key,
		    plan[i].want - have);
	}
	if (enter(CG_ROOT))
		report("cannot go back to the root cgroup");
}

/* ------------------------------------------------------------------ */
/* Sweeps: every file of every cgroup against the model and invariants. */

static u64 last_events[NR_CG][NR_REGIONS][2][3];
static u64 last_evicted[NR_CG][NR_REGIONS][2];

/* The bytes pinned in @cg and its descendants in region @r. */
static u64 pinned_below(int cg, int r)
{
	u64 sum = 0;
	int c;

	for (c = 0; c < NR_CG; c++)
		if (in_subtree(cg, c))
			sum += pinned[c][r];
	return sum;
}

/*
 * Checks the values @v of region @r in file @f of @cg against the registered
 * size, the pins, the usage @cur read before, and earlier counts.
 */
static void check_values(const char *path, int cg, int f, int r,
			 const u64 *v, u64 cur, const char *when)
{
	const char *key = regions[r].key;
	int i, l = f == F_EVENTS_LOCAL;

	switch (f) {
	case F_CAPACITY:
		if (v[0] != regions[r].size)
			report("%s %s: %llu", path, key, v[0]);
		break;
	case F_PEAK:
		/* A fresh open file shows the watermark. */
		if (v[0] < cur)
			report("%s %s: peak %llu below current %llu (%s)",
			       path, key, v[0], cur, when);
		break;
	case F_EVENTS:
	case F_EVENTS_LOCAL:
		for (i = 0; i < 3; i++) {
			if (v[i] < last_events[cg][r][l][i])
				report("%s %s: %s events went down (%s)", path,
				       key, events_fields[i], when);
			last_events[cg][r][l][i] = v[i];
		}
		break;
	case F_STAT:
		/* Usage only goes down meanwhile (reclaim), never up. */
		if (v[0] > cur || v[1] < cur)
			report("%s %s: current %llu peak %llu, drm.current before %llu (%s)",
			       path, key, v[0], v[1], cur, when);
		if (v[2] != pinned_below(cg, r))
			report("%s %s: pinned %llu, the helper holds %llu",
			       path, key, v[2], pinned_below(cg, r));
		if (v[3] < last_evicted[cg][r][0] ||
		    v[4] < last_evicted[cg][r][1])
			report("%s %s: eviction counts went down (%s)", path,
			       key, when);
		/* Nothing writes drm.reclaim here. */
		if (v[5])
			report("%s %s: reclaimed %llu (%s)", path, key, v[5], when);
		last_evicted[cg][r][0] = v[3];
		last_evicted[cg][r][1] = v[4];
		break;
	}
}

static void sweep(const char *when)
{
	struct parsed cur[NR_CG], p;
	char path[160];
	int cg, f, r;

	sweeps++;
	for (cg = 0; cg < NR_CG; cg++) {
		snprintf(path, sizeof(path), "%s/drm.current", cg_path[cg]);
		if (read_path(path) < 0 || parse_file(cg, F_CURRENT, &cur[cg])) {
			report("%s: cannot read drm.current (%s)", path, when);
			return;
		}
		for (r = 0; r < NR_REGIONS; r++)
			if (regions[r].live &&
			    cur[cg].v[r][0] < pinned_below(cg, r))
				report("%s %s: usage %llu below pinned %llu",
				       path, regions[r].key, cur[cg].v[r][0],
				       pinned_below(cg, r));
	}
	for (cg = 0; cg < NR_CG; cg++) {
		for (f = 0; f < NR_FILES; f++) {
			int exists = file_exists(cg, f);

			snprintf(path, sizeof(path), "%s/%s", cg_path[cg],
				 file_name[f]);
			if (read_path(path) < 0) {
				if (exists || errno != ENOENT)
					report("%s: %s (%s)", path,
					       strerror(errno), when);
				continue;
			}
			if (!exists) {
				report("%s exists (%s)", path, when);
				continue;
			}
			if (f < NR_SETTINGS) {
				check_settings(cg, f, when);
				continue;
			}
			if (parse_file(cg, f, &p))
				continue;
			for (r = 0; r < NR_REGIONS; r++)
				if (regions[r].live)
					check_values(path, cg, f, r, p.v[r],
						     cur[cg].v[r][0], when);
		}
	}
}

/*
 * Usage adds up along the tree exactly (only the leaves charge, and nobody
 * else charges in our regions), once background reclaim is over: the usage
 * is read until two reads in a row agree (reclaim only ever lowers it).
 */
static void check_sums(void)
{
	u64 u[NR_CG][NR_REGIONS], prev[NR_CG][NR_REGIONS];
	int cg, r, tries = 0;

	memset(u, 0xff, sizeof(u));
	do {
		memcpy(prev, u, sizeof(u));
		if (tries)
			usleep(20000);
		for (cg = 0; cg < NR_CG; cg++)
			for (r = 0; r < NR_REGIONS; r++)
				u[cg][r] = regions[r].live ? usage_of(cg, r) : 0;
	} while (memcmp(prev, u, sizeof(u)) && ++tries < 250);

	for (r = 0; r < NR_REGIONS; r++) {
		if (!regions[r].live)
			continue;
		if (u[CG_A][r] != u[CG_A1][r] ||
		    u[CG_TOP][r] != u[CG_A][r] + u[CG_B][r] ||
		    u[CG_ROOT][r] != u[CG_TOP][r])
			report("%s usage, fuzz a a1 b root: %llu %llu %llu %llu %llu",
			       regions[r].key, u[CG_TOP][r], u[CG_A][r],
			       u[CG_A1][r], u[CG_B][r], u[CG_ROOT][r]);
	}
}

/* ------------------------------------------------------------------ */
/* One write.                                                          */

/* Cached descriptors: [cg][file][0 = blocking, 1 = O_NONBLOCK], and readers. */
static int wfd[NR_CG][NR_FILES][2];
static int rfd[NR_CG][NR_FILES];

static void open_cached(void)
{
	char path[160];
	int cg, f;

	for (cg = 0; cg < NR_CG; cg++) {
		for (f = 0; f < NR_FILES; f++) {
			snprintf(path, sizeof(path), "%s/%s", cg_path[cg],
				 file_name[f]);
			rfd[cg][f] = open(path, O_RDONLY);
			wfd[cg][f][0] = -1;
			wfd[cg][f][1] = -1;
			if (cg == CG_ROOT || f > F_PEAK)
				continue;
			wfd[cg][f][0] = open(path, O_RDWR);
			wfd[cg][f][1] = open(path, O_RDWR | O_NONBLOCK);
			if (wfd[cg][f][0] < 0 || wfd[cg][f][1] < 0)
				report("open %s: %s", path, strerror(errno));
		}
	}
}

static void close_cached(void)
{
	int cg, f;

	for (cg = 0; cg < NR_CG; cg++) {
		for (f = 0; f < NR_FILES; f++) {
			if (rfd[cg][f] >= 0)
				close(rfd[cg][f]);
			if (wfd[cg][f][0] >= 0)
				close(wfd[cg][f][0]);
			if (wfd[cg][f][1] >= 0)
				close(wfd[cg][f][1]);
		}
	}
}

static const char *verdict_name(enum verdict v)
{
	switch (v) {
	case V_SET:
	case V_FOREIGN:
		return "success";
	case V_NOTHING:
		return "0 bytes written";
	default:
		return strerror(-verdict_errno(v));
	}
}

/*
 * An accepted blocking write of a drm.max below the usage reclaims until the
 * usage fits, unless pinned or protected bytes keep it up. The test helper
 * evicts what the limit's protection rules allow (ignoring low in its second
 * pass), so only a min set below the limit, or pins, may keep usage above it.
 */
static void check_max_reclaim(const char *path, int cg, int r, u64 max,
			      u64 before)
{
	u64 pin = 0, usage = usage_of(cg, r);
	int c;

	if (before > max)
		reclaims++;
	for (c = 0; c < NR_CG; c++) {
		if (!in_subtree(cg, c))
			continue;
		if (c != cg && model[c][r][F_MIN])
			return;
		pin += pinned[c][r];
	}
	if (usage > max && usage > pin)
		report("%s %s: usage %llu above max %llu after a blocking write (pinned %llu)",
		       path, regions[r].key, usage, max, pin);
}

/* A peak file reset through @fd shows the usage since: at least the current. */
static void check_peak_reset(const char *path, int cg, int fd)
{
	struct parsed p, c;
	int r;

	if (read_fd(fd) < 0 || parse_file(cg, F_PEAK, &p) ||
	    read_fd(rfd[cg][F_CURRENT]) < 0 || parse_file(cg, F_CURRENT, &c))
		return;
	for (r = 0; r < NR_REGIONS; r++)
		if (regions[r].live && p.v[r][0] < c.v[r][0])
			report("%s %s: reset peak %llu below current %llu",
			       path, regions[r].key, p.v[r][0], c.v[r][0]);
}

/*
 * Opens @path afresh, sometimes read-only (@rdonly, then writes fail with
 * EBADF). A file that does not exist must fail with ENOENT. A read-only
 * cgroup file may be opened for writing (root passes the permission check)
 * or refused with EACCES. Returns the descriptor, or -1 when the open failed
 * (as it had to, or reported).
 */
static int open_fresh(const char *path, int nonblock, int exists, int ro,
		      int *rdonly)
{
	int flags = below(2) ? O_WRONLY : O_RDWR;
	int fd;

	*rdonly = exists && below(20) == 0;
	if (*rdonly)
		flags = O_RDONLY;
	fresh_opens++;
	fd = open(path, flags | (nonblock ? O_NONBLOCK : 0));
	if (fd < 0) {
		if (exists ? !ro || errno != EACCES : errno != ENOENT)
			report("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (!exists) {
		report("open %s succeeded, expected %s", path,
		       strerror(ENOENT));
		close(fd);
		return -1;
	}
	return fd;
}

static void one_write(void)
{
	static char buf[BUF_SIZE];
	int cg, file, fd, nonblock, own, rdonly = 0, r = -1, exists, ro;
	enum verdict want;
	u64 value = 0, usage_before = 0;
	char path[160];
	size_t len;
	ssize_t n;

	/* Mostly the settings files of the non-root cgroups. */
	cg = below(50) ? 1 + below(NR_CG - 1) : CG_ROOT;
	file = below(10) < 8 ? below(NR_SETTINGS) : below(NR_FILES);
	nonblock = below(2);
	len = gen_payload(buf);
	snprintf(path, sizeof(path), "%s/%s", cg_path[cg], file_name[file]);
	tried++;

	/* Whether the file exists and can be written at all. */
	exists = file_exists(cg, file);
	ro = file > F_PEAK;

	own = !exists || ro || below(10) == 0;
	if (own) {
		fd = open_fresh(path, nonblock, exists, ro, &rdonly);
		if (fd < 0) {
			rejected++;
			return;
		}
	} else {
		fd = wfd[cg][file][nonblock];
	}

	if (rdonly)
		want = V_EBADF;
	else if (len > WRITE_MAX)
		want = V_E2BIG;
	else if (!len)
		want = V_NOTHING;
	else if (ro)
		want = V_EINVAL;	/* the cgroup core has no write for it */
	else if (file == F_PEAK)
		want = V_SET;
	else
		want = rules(buf, len, &r, &value);
	if (want == V_SET && file == F_MAX && !nonblock)
		usage_before = usage_of(cg, r);

	n = write(fd, buf, len);
	if (n > 0 && (size_t)n == len) {
		accepted++;
		if (want != V_SET && want != V_FOREIGN)
			report("%s: write '%s' succeeded, expected %s", path,
			       escape(buf, len), verdict_name(want));
		else if (file < NR_SETTINGS && want == V_SET)
			model[cg][r][file] = value;
	} else {
		int err = n < 0 ? errno : 0;

		rejected++;
		if (n > 0 || -err != verdict_errno(want) || want == V_SET ||
		    want == V_FOREIGN)
			report("%s: write '%s' gave %zd (%s), expected %s",
			       path, escape(buf, len), n,
			       n < 0 ? strerror(err) : "short",
			       verdict_name(want));
	}

	if (file < NR_SETTINGS) {
		if (read_fd(rfd[cg][file]) < 0)
			report("read %s: %s", path, strerror(errno));
		else
			check_settings(cg, file, escape(buf, len));
	}
	if (want == V_SET && file == F_MAX && !nonblock)
		check_max_reclaim(path, cg, r, value, usage_before);
	if (want == V_SET && file == F_PEAK && !own)
		check_peak_reset(path, cg, fd);
	if (own)
		close(fd);
}

/* ------------------------------------------------------------------ */

static void set_defaults(int r)
{
	int cg;

	for (cg = 0; cg < NR_CG; cg++) {
		model[cg][r][F_MIN] = 0;
		model[cg][r][F_LOW] = 0;
		model[cg][r][F_HIGH] = UNLIMITED;
		model[cg][r][F_MAX] = UNLIMITED;
	}
}

static int register_region(int r)
{
	int ret = ctl("register %s %s %llu", regions[r].card,
		      regions[r].name, regions[r].size);

	if (ret) {
		report("register %s: %s", regions[r].key, strerror(-ret));
		return ret;
	}
	regions[r].live = 1;
	set_defaults(r);
	return 0;
}

/* Keys registered by others: what drm.capacity lists that is not ours. */
static void find_foreign(void)
{
	char *line, *sp, *nl;

	if (read_path(CGROOT "/drm.capacity") < 0)
		return;
	for (line = rbuf; (nl = strchr(line, '\n')); line = nl + 1) {
		sp = memchr(line, ' ', nl - line);
		if (!sp || our_key(line, sp - line) >= 0 ||
		    nr_foreign >= (int)ARRAY_SIZE(foreign) ||
		    sp - line >= (long)sizeof(foreign[0]))
			continue;
		memcpy(foreign[nr_foreign], line, sp - line);
		foreign[nr_foreign][sp - line] = 0;
		nr_foreign++;
	}
}

int main(int argc, char **argv)
{
	unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 20261126;
	unsigned long writes = argc > 2 ? strtoul(argv[2], NULL, 0) : 100000;
	u64 evictions = 0, max_events = 0;
	struct timespec t0, t1;
	unsigned long i;
	int r, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed %lu, %lu writes (rerun: fuzz_files %lu %lu)\n", seed,
	       writes, seed, writes);
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (r = 0; r < NR_REGIONS; r++)
		snprintf(regions[r].key, sizeof(regions[r].key), "%s/%s",
			 regions[r].card, regions[r].name);
	for (r = 0; r < NR_REGIONS; r++)
		if (r != R_FRESH && register_region(r))
			return 1;
	find_foreign();
	if (mkdir(cg_path[CG_TOP], 0755) || mkdir(cg_path[CG_A], 0755) ||
	    mkdir(cg_path[CG_A1], 0755) || mkdir(cg_path[CG_B], 0755) ||
	    put(CGROOT "/fuzz/cgroup.subtree_control", "+drm") ||
	    put(CGROOT "/fuzz/a/cgroup.subtree_control", "+drm")) {
		printf("FAIL: cannot create the cgroups: %s\n", strerror(errno));
		return 1;
	}

	/* Some usage for drm.max to reclaim, and 4 MB of it pinned in a1. */
	top_up();
	if (enter(CG_A1) || ctl("pin %s %llu", regions[0].key, 4 * MB))
		report("cannot pin in a1");
	else
		pinned[CG_A1][0] = 4 * MB;
	enter(CG_ROOT);
	check_sums();
	open_cached();
	sweep("start");

	for (i = 0; i < writes; i++) {
		one_write();
		if (i % SWEEP_EVERY == SWEEP_EVERY - 1)
			sweep("periodic sweep");
		if (i % TOPUP_EVERY == TOPUP_EVERY - 1)
			top_up();
		if (i == writes / 2) {
			/* The new region may take the old one's slot. */
			ret = ctl("unregister %s", regions[R_SPARE].key);
			if (ret)
				report("unregister: %s", strerror(-ret));
			regions[R_SPARE].live = 0;
			register_region(R_FRESH);
			sweep("after re-registration");
		}
		if (mismatches > 1000)
			break;
	}

	/*
	 * Settle: with every high unlimited, queued background reclaim finds
	 * nothing to do, and check_sums() waits for a running one.
	 */
	for (int cg = CG_TOP; cg < NR_CG; cg++) {
		for (r = 0; r < NR_REGIONS; r++) {
			char path[160];

			if (!regions[r].live)
				continue;
			snprintf(path, sizeof(path), "%s/drm.high", cg_path[cg]);
			if (put(path, "%s max\n", regions[r].key))
				report("cannot reset %s", path);
			model[cg][r][F_HIGH] = UNLIMITED;
		}
	}
	check_sums();
	sweep("end");
	close_cached();

	/* Give everything back and leave nothing registered. */
	for (r = 0; r < NR_REGIONS; r++) {
		int cg;

		for (cg = CG_A1; cg < NR_CG; cg++) {
			u64 have;

			if (!is_leaf(cg))
				continue;
			if (enter(cg))
				report("cannot enter %s", cg_path[cg]);
			if (pinned[cg][r] &&
			    ctl("unpin %s %llu", regions[r].key, pinned[cg][r]))
				report("unpin in %s", cg_path[cg]);
			pinned[cg][r] = 0;
			have = regions[r].live ? usage_of(cg, r) : 0;
			if (have && ctl("uncharge %s %llu", regions[r].key, have))
				report("uncharge %llu of %s in %s", have,
				       regions[r].key, cg_path[cg]);
		}
	}
	enter(CG_ROOT);
	check_sums();
	for (r = 0; r < NR_REGIONS; r++) {
		if (regions[r].live && usage_of(CG_TOP, r))
			report("%s: usage left after uncharging", regions[r].key);
		if (regions[r].live && ctl("unregister %s", regions[r].key))
			report("unregister %s", regions[r].key);
		regions[r].live = 0;
	}
	rmdir(cg_path[CG_A1]);
	rmdir(cg_path[CG_A]);
	rmdir(cg_path[CG_B]);
	rmdir(cg_path[CG_TOP]);

	for (r = 0; r < NR_REGIONS; r++) {
		evictions += last_evicted[CG_TOP][r][1];
		max_events += last_events[CG_TOP][r][0][2];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("writes tried %lu, accepted %lu, rejected %lu\n", tried,
	       accepted, rejected);
	printf("%lu fresh opens, %lu sweeps, %lu blocking drm.max writes below usage\n",
	       fresh_opens, sweeps, reclaims);
	printf("%llu evictions, %llu max events, %.1f s\n",
	       evictions, max_events,
	       (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (mismatches) {
		printf("FAIL: %lu mismatch(es) (seed %lu)\n", mismatches, seed);
		return 1;
	}
	printf("ok: fuzz_files\n");
	return 0;
}
