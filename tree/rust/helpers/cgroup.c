// SPDX-License-Identifier: GPL-2.0

#include <linux/cgroup.h>

__rust_helper void rust_helper_css_get(struct cgroup_subsys_state *css)
{
	css_get(css);
}

__rust_helper void rust_helper_css_put(struct cgroup_subsys_state *css)
{
	css_put(css);
}

__rust_helper struct cgroup_subsys_state *
rust_helper_task_get_css(struct task_struct *task, int subsys_id)
{
	return task_get_css(task, subsys_id);
}

__rust_helper struct cgroup_subsys_state *rust_helper_seq_css(struct seq_file *seq)
{
	return seq_css(seq);
}

__rust_helper struct cftype *rust_helper_of_cft(struct kernfs_open_file *of)
{
	return of_cft(of);
}
