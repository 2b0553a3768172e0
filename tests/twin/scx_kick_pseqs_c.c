// SPDX-License-Identifier: GPL-2.0
/*
 * scx_kick_pseqs_c: a C twin of upstream sched_ext's lazy scx_kick_pseqs
 * (14c1da3895a1 with 05e63305c85c8, as in 6.17), written from the seed for
 * side-by-side benchmarks with the Rust module. The allocator is upstream's:
 * a DEFINE_PER_CPU pointer, kvzalloc_node(struct_size()) per CPU,
 * rcu_assign_pointer(), rcu_replace_pointer() + call_rcu(), and a reader
 * using rcu_dereference_bh() with a NULL check. The controls match the Rust
 * module's, in /sys/kernel/debug/<module name>/: enable, disable, state,
 * stats, kick and bench_reader.
 *
 * With TWIN_FREE_73 defined (scx_kick_pseqs_c73.c), the free path is 7.3's
 * free_kick_syncs() instead: each CPU's kick irq_work synced before its
 * array is unpublished, and the array freed with kvfree_rcu() rather than
 * call_rcu(). kvfree_rcu() has no callback of ours, so rcu_frees_pending
 * stays 0 there and rcu_callbacks counts the kvfree_rcu() calls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/topology.h>
#include <linux/uaccess.h>

struct scx_kick_pseqs {
	struct rcu_head rcu;
	unsigned long seqs[];
};

static DEFINE_PER_CPU(struct scx_kick_pseqs __rcu *, scx_kick_pseqs);
static DEFINE_MUTEX(scx_enable_mutex);
static bool scx_enabled;
static atomic_long_t frees_pending, rcu_callbacks, enables;

/* The kick model, as in the Rust module. */
struct kick_cpu {
	struct irq_work kick_work;
	call_single_data_t resched;
	unsigned long pnt_seq;
	unsigned int target;
	bool wait;
	int outcome;
};
static DEFINE_PER_CPU(struct kick_cpu, kick_cpus);

#ifndef TWIN_FREE_73
static void free_kick_pseqs_rcu(struct rcu_head *rcu)
{
	struct scx_kick_pseqs *pseqs = container_of(rcu, struct scx_kick_pseqs, rcu);

	kvfree(pseqs);
	atomic_long_dec(&frees_pending);
}
#endif

#ifdef TWIN_FREE_73
/* 7.3's free_kick_syncs(). */
static void free_kick_pseqs(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct scx_kick_pseqs **pseqs = per_cpu_ptr(&scx_kick_pseqs, cpu);
		struct scx_kick_pseqs *to_free;

		/* flush the pending kick before freeing @pseqs */
		irq_work_sync(&per_cpu_ptr(&kick_cpus, cpu)->kick_work);
		to_free = rcu_replace_pointer(*pseqs, NULL, true);
		if (to_free) {
			atomic_long_inc(&rcu_callbacks);
			kvfree_rcu(to_free, rcu);
		}
	}
}
#else
/* The 6.17 twin: every kick irq_work synced first, then the arrays unpublished. */
static void free_kick_pseqs(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		irq_work_sync(&per_cpu_ptr(&kick_cpus, cpu)->kick_work);
	for_each_possible_cpu(cpu) {
		struct scx_kick_pseqs **pseqs = per_cpu_ptr(&scx_kick_pseqs, cpu);
		struct scx_kick_pseqs *to_free;

		to_free = rcu_replace_pointer(*pseqs, NULL, true);
		if (to_free) {
			atomic_long_inc(&frees_pending);
			atomic_long_inc(&rcu_callbacks);
			call_rcu(&to_free->rcu, free_kick_pseqs_rcu);
		}
	}
}
#endif

static int alloc_kick_pseqs(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct scx_kick_pseqs **pseqs = per_cpu_ptr(&scx_kick_pseqs, cpu);
		struct scx_kick_pseqs *new_pseqs;

		WARN_ON_ONCE(rcu_access_pointer(*pseqs));

		new_pseqs = kvzalloc_node(struct_size(new_pseqs, seqs, nr_cpu_ids),
					  GFP_KERNEL, cpu_to_node(cpu));
		if (!new_pseqs) {
			free_kick_pseqs();
			return -ENOMEM;
		}

		rcu_assign_pointer(*pseqs, new_pseqs);
	}

	return 0;
}

static int scx_enable(void)
{
	int ret = 0;

	mutex_lock(&scx_enable_mutex);
	if (scx_enabled) {
		ret = -EBUSY;
		goto out;
	}
	ret = alloc_kick_pseqs();
	if (!ret) {
		atomic_long_inc(&enables);
		WRITE_ONCE(scx_enabled, true);
	}
out:
	mutex_unlock(&scx_enable_mutex);
	return ret;
}

static int scx_disable(void)
{
	int ret = 0;

	mutex_lock(&scx_enable_mutex);
	if (!scx_enabled) {
		ret = -EINVAL;
		goto out;
	}
	WRITE_ONCE(scx_enabled, false);
	free_kick_pseqs();
out:
	mutex_unlock(&scx_enable_mutex);
	return ret;
}

static void resched_fn(void *info)
{
	this_cpu_inc(kick_cpus.pnt_seq);
}

static void kick_cpus_irq_workfn(struct irq_work *irq_work)
{
	struct kick_cpu *me = this_cpu_ptr(&kick_cpus);
	struct scx_kick_pseqs __rcu *pseqs_pcpu = __this_cpu_read(scx_kick_pseqs);
	unsigned int cpu = me->target;
	unsigned long *pseqs;

	if (unlikely(!pseqs_pcpu)) {
		pr_warn_once("kick_cpus_irq_workfn() called with NULL scx_kick_pseqs");
		me->outcome = -ENXIO;
		return;
	}

	pseqs = rcu_dereference_bh(pseqs_pcpu)->seqs;

	if (!cpu_online(cpu)) {
		me->outcome = -ENODEV;
		return;
	}
	if (me->wait)
		pseqs[cpu] = READ_ONCE(per_cpu_ptr(&kick_cpus, cpu)->pnt_seq);
	if (cpu == smp_processor_id())
		this_cpu_inc(kick_cpus.pnt_seq);
	else
		smp_call_function_single_async(cpu, &per_cpu_ptr(&kick_cpus, cpu)->resched);
	me->outcome = 0;
}

static int kick(unsigned int target, bool wait)
{
	struct kick_cpu *me;
	ktime_t start;
	int ret;

	if (!READ_ONCE(scx_enabled))
		return -ENXIO;
	if (!cpu_online(target))
		return -ENODEV;
	migrate_disable();
	me = this_cpu_ptr(&kick_cpus);
	me->target = target;
	me->wait = wait;
	me->outcome = -EINPROGRESS;
	irq_work_queue(&me->kick_work);
	irq_work_sync(&me->kick_work);
	ret = me->outcome;
	if (ret || !wait)
		goto out;
	start = ktime_get();
	for (;;) {
		struct scx_kick_pseqs *p;
		bool done;

		rcu_read_lock_bh();
		p = rcu_dereference_bh(*this_cpu_ptr(&scx_kick_pseqs));
		done = !p || READ_ONCE(per_cpu_ptr(&kick_cpus, target)->pnt_seq) != p->seqs[target];
		rcu_read_unlock_bh();
		if (done)
			break;
		this_cpu_inc(kick_cpus.pnt_seq);
		if (ktime_ms_delta(ktime_get(), start) > 1000) {
			ret = -ETIMEDOUT;
			break;
		}
		cpu_relax();
	}
out:
	migrate_enable();
	return ret;
}

/* Reads a whole write of at most 32 bytes, without a trailing newline. */
static int read_input(const char __user *ubuf, size_t len, char *buf)
{
	if (!len || len > 32)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	if (memchr(buf, 0, len))
		return -EINVAL;
	buf[len] = 0;
	if (buf[len - 1] == '\n')
		buf[len - 1] = 0;
	return 0;
}

static ssize_t trigger_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	int (*fn)(void) = file->private_data;
	char buf[33];
	int ret = read_input(ubuf, len, buf);

	if (!ret && strcmp(buf, "1"))
		ret = -EINVAL;
	if (!ret)
		ret = fn();
	return ret ?: len;
}

static ssize_t kick_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	char buf[33], *space;
	bool wait = false;
	unsigned int cpu;
	int ret = read_input(ubuf, len, buf);

	if (ret)
		return ret;
	space = strchr(buf, ' ');
	if (space) {
		if (strcmp(space + 1, "wait"))
			return -EINVAL;
		*space = 0;
		wait = true;
	}
	if (!isdigit(buf[0]) || kstrtouint(buf, 10, &cpu) || cpu >= nr_cpu_ids ||
	    !cpu_possible(cpu))
		return -EINVAL;
	ret = kick(cpu, wait);
	return ret ?: len;
}

/*
 * The reader's hot path in a loop, as the Rust module's bench_reader runs it:
 * this CPU's pointer, the NULL check, one pick sequence recorded; with
 * preemption off, which is the RCU read-side section.
 */
#define BENCH_MAX_OPS 10000000ULL
static u64 bench_ops, bench_ns;

static ssize_t bench_reader_write(struct file *file, const char __user *ubuf, size_t len,
				  loff_t *ppos)
{
	unsigned int *targets, n = 0, t = 0;
	char buf[33];
	u64 ops, i, start, ns;
	int cpu, ret = read_input(ubuf, len, buf);

	if (ret)
		return ret;
	if (!isdigit(buf[0]) || kstrtoull(buf, 10, &ops) || !ops || ops > BENCH_MAX_OPS)
		return -EINVAL;
	targets = kmalloc_array(num_possible_cpus(), sizeof(*targets), GFP_KERNEL);
	if (!targets)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		targets[n++] = cpu;
	preempt_disable();
	start = ktime_get_ns();
	for (i = 0; i < ops; i++) {
		struct scx_kick_pseqs *p;

		cpu = targets[t];
		if (++t == n)
			t = 0;
		p = rcu_dereference_sched(*this_cpu_ptr(&scx_kick_pseqs));
		if (unlikely(!p)) {
			ret = -ENXIO;
			break;
		}
		p->seqs[cpu] = READ_ONCE(per_cpu_ptr(&kick_cpus, cpu)->pnt_seq);
	}
	ns = ktime_get_ns() - start;
	preempt_enable();
	kfree(targets);
	if (ret)
		return ret;
	bench_ops = ops;
	bench_ns = ns;
	return len;
}

static int bench_reader_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%llu %llu\n", bench_ops, bench_ns);
	return 0;
}

static int bench_reader_open(struct inode *inode, struct file *file)
{
	return single_open(file, bench_reader_show, NULL);
}

static const struct file_operations bench_reader_fops = {
	.open = bench_reader_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = bench_reader_write,
};

static int state_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", READ_ONCE(scx_enabled) ? "enabled" : "disabled");
	return 0;
}

static int stats_show(struct seq_file *m, void *v)
{
	unsigned long arrays = 0;
	int cpu;

	rcu_read_lock();
	for_each_possible_cpu(cpu)
		arrays += !!rcu_dereference(*per_cpu_ptr(&scx_kick_pseqs, cpu));
	rcu_read_unlock();
	seq_printf(m, "arrays: %lu\n", arrays);
	seq_printf(m, "bytes: %zu\n", arrays * struct_size_t(struct scx_kick_pseqs, seqs, nr_cpu_ids));
	seq_printf(m, "rcu_frees_pending: %ld\n", atomic_long_read(&frees_pending));
	seq_printf(m, "enables: %ld\n", atomic_long_read(&enables));
	seq_printf(m, "rcu_callbacks: %ld\n", atomic_long_read(&rcu_callbacks));
	seq_printf(m, "nr_cpu_ids: %u\n", nr_cpu_ids);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(state);
DEFINE_SHOW_ATTRIBUTE(stats);

static int trigger_open(struct inode *inode, struct file *file)
{
	file->private_data = inode->i_private;
	return 0;
}

static const struct file_operations trigger_fops = {
	.open = trigger_open,
	.write = trigger_write,
};

static const struct file_operations kick_fops = {
	.write = kick_write,
};

static struct dentry *dir;

static int __init twin_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct kick_cpu *k = per_cpu_ptr(&kick_cpus, cpu);

		k->kick_work = IRQ_WORK_INIT_HARD(kick_cpus_irq_workfn);
		INIT_CSD(&k->resched, resched_fn, NULL);
	}
	dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("enable", 0200, dir, scx_enable, &trigger_fops);
	debugfs_create_file("disable", 0200, dir, scx_disable, &trigger_fops);
	debugfs_create_file("kick", 0200, dir, NULL, &kick_fops);
	debugfs_create_file("state", 0444, dir, NULL, &state_fops);
	debugfs_create_file("stats", 0444, dir, NULL, &stats_fops);
	debugfs_create_file("bench_reader", 0600, dir, NULL, &bench_reader_fops);
	return 0;
}

static void __exit twin_exit(void)
{
	debugfs_remove_recursive(dir);
	scx_disable();
	rcu_barrier();
	synchronize_rcu();
}

module_init(twin_init);
module_exit(twin_exit);
#ifndef TWIN_DESCRIPTION
#define TWIN_DESCRIPTION "C twin of upstream 6.17's lazy scx_kick_pseqs, for benchmarks"
#endif
MODULE_DESCRIPTION(TWIN_DESCRIPTION);
MODULE_LICENSE("GPL");
