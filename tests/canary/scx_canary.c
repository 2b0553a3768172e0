// SPDX-License-Identifier: GPL-2.0
/*
 * Canaries for make canaries: each value of the parameter "fire" makes one
 * detector of the debug kernel report once, so that scripts/results can show
 * it caught, by name. Test-only; never loaded by make check.
 *
 *   insmod scx_canary.ko fire=<name> [cpu=<N>]
 *
 * The module stays loaded when the canary is non-fatal; its exit undoes what
 * it can (rcu_barrier() for the duplicate call_rcu()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/timer.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

static char *fire = "";
module_param(fire, charp, 0444);
MODULE_PARM_DESC(fire, "the detector to make fire (see scripts/canaries --help)");
static int cpu = 1;
module_param(cpu, int, 0444);
MODULE_PARM_DESC(cpu, "the CPU to stall for the csd, wq and rcu_exp canaries");
static int spin_ms = 12000;
module_param(spin_ms, int, 0444);
MODULE_PARM_DESC(spin_ms, "how long the stalling canaries spin");

/* Read through volatile so that no check is folded away at compile time. */
static volatile int four = 4;
static volatile int sixteen = 16;

static noinline void canary_kasan(void)
{
	char *p = kmalloc(16, GFP_KERNEL);

	if (!p)
		return;
	pr_info("read: %d\n", READ_ONCE(p[sixteen]));
	kfree(p);
}

static noinline void canary_kasan_vmalloc(void)
{
	/* vmalloc() maps a whole page; only KASAN_VMALLOC poisons its tail. */
	char *p = vmalloc(100);

	if (!p)
		return;
	pr_info("read: %d\n", READ_ONCE(p[100 + sixteen]));
	vfree(p);
}

static void *leaked;

static noinline void canary_kmemleak(void)
{
	int i;

	/*
	 * Each stored, then forgotten. Larger than any slab cache: a small
	 * object comes from a per-CPU sheaf, an array of object pointers that
	 * keeps the popped pointer and so makes the object look referenced to
	 * kmemleak. The last one may survive in a dead stack the kernel keeps
	 * cached; the others are referenced from nowhere.
	 */
	for (i = 0; i < 8; i++)
		WRITE_ONCE(leaked, kzalloc(4 * PAGE_SIZE, GFP_KERNEL));
	WRITE_ONCE(leaked, NULL);
}

struct bounded {
	int a[4];
	int after;
};

static noinline void canary_ubsan(void)
{
	struct bounded b = {};

	/* a[4] is b.after: in bounds for KASAN, out of bounds for UBSAN. */
	b.a[four] = 1;
	pr_info("after: %d\n", READ_ONCE(b.after));
}

static noinline void canary_atomic_sleep(void)
{
	preempt_disable();
	might_sleep();
	preempt_enable();
}

static noinline void canary_debug_preempt(void)
{
	/* Preemptible and allowed on every CPU: smp_processor_id() complains. */
	pr_info("cpu: %d\n", smp_processor_id());
}

static int __rcu *rcu_protected;

static noinline void canary_prove_rcu(void)
{
	pr_info("pointer: %p\n", rcu_dereference(rcu_protected));
}

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);

static noinline void canary_lockdep(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);
	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
}

static noinline void canary_list(void)
{
	LIST_HEAD(head);
	struct list_head bogus, entry;

	/* head.next->prev is not &head: list_add() refuses and reports. */
	bogus.prev = &bogus;
	bogus.next = &head;
	head.next = &bogus;
	list_add(&entry, &head);
}

struct timed {
	struct timer_list timer;
};

static void timer_fn(struct timer_list *t)
{
}

static noinline void canary_odebug_free(void)
{
	struct timed *t = kmalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return;
	timer_setup(&t->timer, timer_fn, 0);
	mod_timer(&t->timer, jiffies + 1000 * HZ);
	/* Freed while armed: debugobjects reports, then deletes the timer. */
	kfree(t);
}

static DECLARE_COMPLETION(release_blocker);

static void blocker_fn(struct work_struct *w)
{
	wait_for_completion(&release_blocker);
}

static void noop_fn(struct work_struct *w)
{
}

static noinline void canary_odebug_work(void)
{
	struct workqueue_struct *wq = alloc_ordered_workqueue("scx_canary", 0);
	struct work_struct blocker, pending;

	if (!wq)
		return;
	INIT_WORK_ONSTACK(&blocker, blocker_fn);
	INIT_WORK_ONSTACK(&pending, noop_fn);
	queue_work(wq, &blocker);
	queue_work(wq, &pending);
	/* Initialized again while queued: reported, and the fixup cancels it. */
	INIT_WORK_ONSTACK(&pending, noop_fn);
	complete(&release_blocker);
	destroy_workqueue(wq);
	destroy_work_on_stack(&pending);
	destroy_work_on_stack(&blocker);
}

static struct rcu_head twice;

static void rcu_cb(struct rcu_head *head)
{
}

static noinline void canary_odebug_rcu_head(void)
{
	call_rcu(&twice, rcu_cb);
	call_rcu(&twice, rcu_cb);
}

/* Spins for spin_ms on this CPU with preemption (and maybe IRQs) off. */
static void spin(bool irqs_off)
{
	unsigned long flags = 0;
	int i;

	if (irqs_off)
		local_irq_save(flags);
	else
		preempt_disable();
	for (i = 0; i < spin_ms; i++)
		mdelay(1);
	if (irqs_off)
		local_irq_restore(flags);
	else
		preempt_enable();
}

static int spin_thread(void *irqs_off)
{
	spin(irqs_off != NULL);
	return 0;
}

/* Runs spin() on the CPU of the parameter "cpu", from a bound kthread. */
static struct task_struct *spin_on_cpu(bool irqs_off)
{
	struct task_struct *t;

	t = kthread_create(spin_thread, irqs_off ? (void *)1 : NULL, "scx_canary/%d", cpu);
	if (IS_ERR(t))
		return t;
	kthread_bind(t, cpu);
	get_task_struct(t);
	wake_up_process(t);
	/* Let it start spinning before we depend on that CPU. */
	msleep(500);
	return t;
}

static void spin_done(struct task_struct *t)
{
	if (IS_ERR(t))
		return;
	kthread_stop(t);
	put_task_struct(t);
}

static void noop_ipi(void *info)
{
}

static noinline void canary_csd(void)
{
	struct task_struct *t;

	/* Stay off the stalled CPU, or the call runs locally. */
	if (set_cpus_allowed_ptr(current, cpumask_of(cpu == 0 ? 1 : 0)))
		return;
	t = spin_on_cpu(true);
	smp_call_function_single(cpu, noop_ipi, NULL, 1);
	spin_done(t);
}

static noinline void canary_rcu_exp(void)
{
	struct task_struct *t;

	if (set_cpus_allowed_ptr(current, cpumask_of(cpu == 0 ? 1 : 0)))
		return;
	t = spin_on_cpu(false);
	synchronize_rcu_expedited();
	spin_done(t);
}

static void spin_work_fn(struct work_struct *w)
{
	spin(false);
}

static noinline void canary_wq(void)
{
	struct work_struct spinner, waiter;

	/* One work hogs the per-CPU pool, the second waits in its worklist. */
	INIT_WORK_ONSTACK(&spinner, spin_work_fn);
	INIT_WORK_ONSTACK(&waiter, noop_fn);
	queue_work_on(cpu, system_wq, &spinner);
	msleep(500);
	queue_work_on(cpu, system_wq, &waiter);
	flush_work(&spinner);
	flush_work(&waiter);
	destroy_work_on_stack(&waiter);
	destroy_work_on_stack(&spinner);
}

static noinline void canary_softlockup(void)
{
	spin(false);
}

static noinline void canary_hung_task(void)
{
	schedule_timeout_uninterruptible(msecs_to_jiffies(spin_ms));
}

static const struct {
	const char *name;
	void (*fire)(void);
} canaries[] = {
	{ "kasan", canary_kasan },
	{ "kasan_vmalloc", canary_kasan_vmalloc },
	{ "kmemleak", canary_kmemleak },
	{ "ubsan", canary_ubsan },
	{ "atomic_sleep", canary_atomic_sleep },
	{ "debug_preempt", canary_debug_preempt },
	{ "prove_rcu", canary_prove_rcu },
	{ "lockdep", canary_lockdep },
	{ "list", canary_list },
	{ "odebug_free", canary_odebug_free },
	{ "odebug_work", canary_odebug_work },
	{ "odebug_rcu_head", canary_odebug_rcu_head },
	{ "csd", canary_csd },
	{ "rcu_exp", canary_rcu_exp },
	{ "wq", canary_wq },
	{ "softlockup", canary_softlockup },
	{ "hung_task", canary_hung_task },
};

static int __init canary_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(canaries); i++) {
		if (strcmp(fire, canaries[i].name))
			continue;
		pr_info("firing %s\n", fire);
		canaries[i].fire();
		pr_info("%s returned\n", fire);
		return 0;
	}
	pr_err("unknown canary '%s'\n", fire);
	return -EINVAL;
}

static void __exit canary_exit(void)
{
	rcu_barrier();
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_DESCRIPTION("Test-only: make one detector of the debug kernel fire");
MODULE_LICENSE("GPL");
