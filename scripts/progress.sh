# SPDX-License-Identifier: GPL-2.0
# Progress of long kernel builds. Sourced after common.sh, never run.
#
#   drmcg_make_progress LABEL COUNTFILE DEFAULT LOG -- COMMAND...
#
# Runs COMMAND (a kernel make, kbuild's quiet output), keeps all its output
# in LOG and counts the objects it builds (kbuild's "  CC      dir/file.o"
# lines). The expected count is the one saved in COUNTFILE by the last
# complete build, DEFAULT before there is one. On a terminal (stderr) one
# line is rewritten in place:
#   [drm_cgroup] LABEL: 1234/3409 objects, 5m12s
# with whatever else the build prints (warnings, errors) above it. Otherwise
# the output stays line-based: the build's warnings and errors as they come,
# a progress line every minute and a summary at the end.
# Returns COMMAND's exit status.

drmcg_duration() {
	local s=$1
	if [ "$s" -ge 60 ]; then
		printf '%dm%02ds' $((s / 60)) $((s % 60))
	else
		printf '%ds' "$s"
	fi
}

drmcg_make_progress() {
	local label=$1 countfile=$2 expected=$3 log=$4
	shift 4
	[ "${1:-}" = -- ] && shift
	local n=0 start=$SECONDS last=$SECONDS tty=0 rc=1 line now shown=-1
	local quiet='^  [A-Z][A-Z0-9_]*( [A-Z]+)? +(\[M\] +)?[^ ]+ *$'
	local dirs='^make\[[0-9]+\]: (Entering|Leaving) directory'
	local object='\.o$'

	[ -t 2 ] && tty=1
	if [ -s "$countfile" ]; then
		expected=$(cat "$countfile")
	fi
	: > "$log"
	while IFS= read -r line; do
		case $line in
		__drmcg_rc=*)
			rc=${line#__drmcg_rc=}
			continue
			;;
		esac
		printf '%s\n' "$line" >> "$log"
		if [[ $line =~ $quiet ]]; then
			[[ $line =~ $object ]] && n=$((n + 1))
		elif [[ $line =~ $dirs ]]; then
			:
		else
			[ $tty = 1 ] && printf '\r\033[K' >&2
			printf '%s\n' "$line" >&2
			shown=-1
		fi
		now=$SECONDS
		if [ $tty = 1 ]; then
			# Redraw when the count or the second changes.
			if [ $((n * 100000 + now)) != "$shown" ]; then
				printf '\r\033[K[drm_cgroup] %s: %d/%d objects, %s' \
					"$label" "$n" "$expected" \
					"$(drmcg_duration $((now - start)))" >&2
				shown=$((n * 100000 + now))
			fi
		elif [ $((now - last)) -ge 60 ]; then
			log "$label: $n/$expected objects, $(drmcg_duration $((now - start)))"
			last=$now
		fi
	done < <("$@" 2>&1; echo "__drmcg_rc=$?")
	[ $tty = 1 ] && printf '\r\033[K' >&2
	log "$label: $n objects built in $(drmcg_duration $((SECONDS - start)))"
	# A complete build sets the next run's expectation.
	local saved
	saved=$(cat "$countfile" 2>/dev/null || true)
	if [ "$rc" = 0 ] && [ "$n" -gt "${saved:-0}" ]; then
		echo "$n" > "$countfile"
	fi
	return "$rc"
}
