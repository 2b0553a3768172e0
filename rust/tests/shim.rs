// SPDX-License-Identifier: GPL-2.0

//! Declarations of the KUnit suites' C helpers in `tests/helpers.c`.

extern "C" {
    /// `kunit_mark_skipped()` on the current KUnit test, if any.
    pub(crate) fn scxk_kunit_skip(reason: *const kernel::ffi::c_char);
    /// The node the page allocator serves requests for `nid` from: `nid`
    /// when it has memory, else the first node with memory in its fallback
    /// list. `nid` must be `NUMA_NO_NODE` or a node with a `pg_data_t`.
    pub(crate) fn scxk_test_alloc_node(nid: i32) -> i32;
}
