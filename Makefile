# SPDX-License-Identifier: GPL-2.0
#
# In the kernel tree (kernel/cgroup/drm/) this is a kbuild Makefile. Run
# from the repository itself it offers the developer targets (see README.md).

ifneq ($(KERNELRELEASE),)

obj-$(CONFIG_CGROUP_DRM) += drm_cgroup.o drmcg_subsys.o
obj-$(CONFIG_CGROUP_DRM_TEST_HELPER) += drmcg_test.o
obj-$(CONFIG_CGROUP_DRM_BENCH) += drmcg_bench.o

else

.PHONY: all setup check check-debug kunit guest host demo lint bench series series-check help
all: help

help:
	@echo "make setup   install the toolchain, fetch Linux 7.3, place the overlay"
	@echo "make check   host tests + KUnit + guest end-to-end tests (CI)"
	@echo "make check-debug   KUnit and guest tests on a KASAN/lockdep/kmemleak kernel"
	@echo "make demo    boot a guest and walk through the controller"
	@echo "make kunit   KUnit suites only     make guest   guest tests only"
	@echo "make host    host cargo tests only make lint    rustfmt + clippy"
	@echo "make bench   benchmarks against dmem (guest) and of the core (host)"
	@echo "make series  the patch series against Linux 7.3 (OUT=folder, default in the cache)"
	@echo "make series-check  apply, build and checkpatch it patch by patch; compare with the overlay"

setup:
	@scripts/setup.sh

check:
	@scripts/check.sh

check-debug:
	@scripts/check-debug.sh

kunit:
	@scripts/kunit.sh

guest:
	@scripts/guest.sh --build tests/guest/*.sh tests/guest/*.c

host:
	@scripts/host.sh

demo:
	@scripts/demo.sh

lint:
	@scripts/lint.sh

fuzz:
	@scripts/fuzz.sh

bench:
	@scripts/bench.sh

series:
	@scripts/series.sh $(OUT)

series-check:
	@scripts/series-check.sh

endif
