# SPDX-License-Identifier: GPL-2.0
#
# Makefile for the drm cgroup controller.

obj-$(CONFIG_CGROUP_DRM) += drm_cgroup.o drmcg_subsys.o
obj-$(CONFIG_CGROUP_DRM_TEST_HELPER) += drmcg_test.o
obj-$(CONFIG_CGROUP_DRM_BENCH) += drmcg_bench.o
