#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the test kernel if needed, boots it and walks through the drm
# controller as an admin would, printing each command and its output.

. "$(dirname "$0")/common.sh"

"$REPO/scripts/setup.sh"
"$REPO/scripts/kunit.sh" --build-only > /dev/null ||
	die "kernel build failed (run scripts/kunit.sh --build-only to see why)"
"$REPO/scripts/guest.sh" --file "$REPO/tests/demo/qxl_jobs.c" "$REPO/tests/demo/demo.sh" 2>&1 |
	sed -n '/^@@DRMCG-BEGIN demo.sh/,/^@@DRMCG-END demo.sh/p' | sed '1d;$d'
