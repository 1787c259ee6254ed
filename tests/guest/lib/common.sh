# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest tests: sourced as ". /lib/drmcg/common.sh".

CG=/sys/fs/cgroup
DBG=/sys/kernel/debug/drm_cgroup

fail() {
	echo "FAIL: $*"
	exit 1
}

pass() {
	echo "ok: $*"
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# expect_write FILE VALUE: the write must succeed.
expect_write() {
	(echo -n "$2" > "$1") 2>/dev/null || fail "write '$2' to $1 failed"
}

# expect_write_err FILE VALUE ERRNO_TEXT: the write must fail with that error
# (e.g. "Invalid argument", "No such device").
expect_write_err() {
	if (echo -n "$2" > "$1") 2>/tmp/.werr; then
		fail "write '$2' to $1 succeeded, expected '$3'"
	fi
	grep -q "$3" /tmp/.werr || fail "write '$2' to $1: expected '$3', got '$(cat /tmp/.werr)'"
}

# field FILE KEY: the value after KEY on the line of FILE that starts with KEY.
field() {
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { exit !f }' "$1" ||
		fail "no '$2' line in $1"
}

# kv FILE KEY NAME: the NAME=value entry on KEY's line (drm.events, drm.stat).
kv() {
	awk -v k="$2" -v n="$3" '$1 == k {
		for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == n) { print a[2]; f = 1 } }
	} END { exit !f }' "$1" || fail "no '$3' for '$2' in $1"
}

# in_cgroup DIR CMD...: runs CMD in a child shell moved into cgroup DIR.
in_cgroup() {
	dir=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && shift && exec "$@"' "$dir" sh "$@"
}
