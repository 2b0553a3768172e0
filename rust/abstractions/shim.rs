// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C helpers in `helpers.c`: macros and static inline
//! functions that bindgen cannot turn into callable functions.

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
}
