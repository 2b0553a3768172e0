// SPDX-License-Identifier: GPL-2.0

//! The RUST_DEBUG_ASSERTIONS canary: a `debug_assert!` that fails at load.
//! Without `-Cdebug-assertions` the assertion compiles to nothing and the
//! module loads quietly, which `make canaries` reports as not caught.

use kernel::prelude::*;

module! {
    type: Canary,
    name: "scx_canary_rust",
    authors: ["scx-kick-pseqs"],
    description: "Test-only: fails a debug assertion at load",
    license: "GPL",
}

struct Canary;

impl kernel::Module for Canary {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("firing: a failing debug_assert!\n");
        debug_assert!(core::hint::black_box(false), "scx canary: debug assertion");
        pr_err!("debug_assert! did not fire: RUST_DEBUG_ASSERTIONS is off\n");
        Err(EINVAL)
    }
}
