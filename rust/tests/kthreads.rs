// SPDX-License-Identifier: GPL-2.0

//! Kernel threads for the stress tests: run `f(0)`, ..., `f(n - 1)` on `n`
//! threads at once, optionally each bound to a CPU, and wait for all of them.

use crate::abstractions::cpus::PossibleCpu;
use core::ffi::c_void;
use kernel::{
    bindings,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Release},
};

/// What one thread runs, and whether it has finished.
struct Job {
    f: fn(usize),
    index: usize,
    done: Atomic<bool>,
}

/// The thread function: runs the job, then waits for `kthread_stop()`.
///
/// # Safety
///
/// `data` points to a [`Job`] that outlives the thread (`run` joins every
/// thread before dropping the jobs).
unsafe extern "C" fn thread_main(data: *mut c_void) -> i32 {
    // SAFETY: `data` is a live `Job`, as the caller guarantees.
    let job = unsafe { &*data.cast::<Job>() };
    (job.f)(job.index);
    job.done.store(true, Release);
    // Returning before kthread_stop() would let the task go away under it.
    // SAFETY: Called from a kthread.
    while !unsafe { bindings::kthread_should_stop() } {
        // SAFETY: Sleeping is allowed in a kthread.
        unsafe { bindings::msleep(1) };
    }
    0
}

/// Runs `f(i)` for every `i < n` on its own kernel thread, bound to
/// `bind(i)` when that is `Some`, and returns once all have finished.
pub(crate) fn run(n: usize, f: fn(usize), bind: impl Fn(usize) -> Option<PossibleCpu>) -> Result {
    let mut jobs = KVec::with_capacity(n, GFP_KERNEL)?;
    for index in 0..n {
        jobs.push(
            KBox::new(
                Job {
                    f,
                    index,
                    done: Atomic::new(false),
                },
                GFP_KERNEL,
            )?,
            GFP_KERNEL,
        )?;
    }
    let mut tasks = KVec::with_capacity(n, GFP_KERNEL)?;
    let mut result = Ok(());
    for (index, job) in jobs.iter().enumerate() {
        let data = core::ptr::from_ref::<Job>(job).cast_mut().cast::<c_void>();
        // SAFETY: `thread_main` matches the threadfn signature; `data` lives
        // until every thread is joined below; the name is a C string.
        let task = unsafe {
            bindings::kthread_create_on_node(
                Some(thread_main),
                data,
                bindings::NUMA_NO_NODE,
                c"scx_kick_stress".as_char_ptr(),
            )
        };
        if kernel::error::from_err_ptr(task).is_err() {
            result = Err(ENOMEM);
            break;
        }
        if let Some(cpu) = bind(index) {
            // SAFETY: `task` is a newly created kthread that has not run yet.
            unsafe { bindings::kthread_bind(task, cpu.as_u32()) };
        }
        // SAFETY: `task` is a newly created kthread.
        unsafe { bindings::wake_up_process(task) };
        // Capacity is `n` and at most `n` tasks are pushed.
        let _ = tasks.push_within_capacity(task);
    }
    for (task, job) in tasks.iter().zip(jobs.iter()) {
        // kthread_stop() before the thread first ran would skip its job.
        while !job.done.load(Acquire) {
            // SAFETY: Sleeping is allowed here (process context).
            unsafe { bindings::msleep(1) };
        }
        // SAFETY: `task` is a kthread created above that waits for this.
        unsafe { bindings::kthread_stop(*task) };
    }
    result
}
