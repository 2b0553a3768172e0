// SPDX-License-Identifier: GPL-2.0

//! Declaration of the KUnit suites' C helper in `tests/helpers.c`.

extern "C" {
    /// `kunit_mark_skipped()` on the current KUnit test, if any.
    pub(crate) fn scxk_kunit_skip(reason: *const kernel::ffi::c_char);
}
