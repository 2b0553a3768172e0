// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C helpers in `helpers.c`: macros and static inline
//! functions that bindgen cannot turn into callable functions.

use kernel::bindings;

extern "C" {
    /// `preempt_disable()`.
    pub(crate) fn scxk_preempt_disable();
    /// `preempt_enable()`.
    pub(crate) fn scxk_preempt_enable();
    /// `migrate_disable()`.
    pub(crate) fn scxk_migrate_disable();
    /// `migrate_enable()`.
    pub(crate) fn scxk_migrate_enable();
    /// `cpu_to_node(cpu)`.
    pub(crate) fn scxk_cpu_to_node(cpu: i32) -> i32;
    /// The NUMA node of the page behind `p`, which must point into memory
    /// from `kvmalloc()`.
    pub(crate) fn scxk_mem_to_node(p: *const core::ffi::c_void) -> i32;
    /// `kunit_mark_skipped()` on the current KUnit test, if any.
    pub(crate) fn scxk_kunit_skip(reason: *const kernel::ffi::c_char);
    /// `INIT_CSD(csd, func, NULL)`; `csd` is a `call_single_data_t *`.
    pub(crate) fn scxk_init_csd(
        csd: *mut core::ffi::c_void,
        func: unsafe extern "C" fn(*mut core::ffi::c_void),
    );
    /// Whether the `call_single_data_t` at `csd` is still queued.
    pub(crate) fn scxk_csd_busy(csd: *const core::ffi::c_void) -> bool;
    /// `*work = IRQ_WORK_INIT_HARD(func)`; `work` is a `struct irq_work *`,
    /// passed untyped because `struct irq_work` reaches types that are empty
    /// in this configuration, which the `improper_ctypes` lint rejects.
    pub(crate) fn scxk_init_irq_work_hard(
        work: *mut core::ffi::c_void,
        func: unsafe extern "C" fn(*mut bindings::irq_work),
    );
}
