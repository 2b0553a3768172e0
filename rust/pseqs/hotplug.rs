// SPDX-License-Identifier: GPL-2.0

//! The allocator's CPU hotplug state: a CPU gets its array before it runs
//! anything and loses it once it is dead (see [`HotplugState`] for why the
//! PREPARE section is where both can be said).

use super::allocator;
use crate::abstractions::{
    cpuhp::{HotplugHandler, HotplugState},
    cpus::PossibleCpu,
};
use kernel::prelude::*;

/// The callbacks, [`allocator::cpu_prepare`] and [`allocator::cpu_dead`].
pub(crate) struct Callbacks;

impl HotplugHandler for Callbacks {
    const NAME: &'static CStr = c"scx_kick_pseqs:prepare";

    fn prepare(cpu: PossibleCpu, _frozen: bool) -> Result {
        allocator::cpu_prepare(cpu)
    }

    fn dead(cpu: PossibleCpu, frozen: bool) {
        allocator::cpu_dead(cpu, frozen)
    }
}

/// Installs the state, which prepares every CPU already up; removed when the
/// result is dropped. Call without holding the allocator's lock.
///
/// # Safety
///
/// As [`HotplugState::register`]: the result is dropped before the module is
/// unloaded.
pub(crate) unsafe fn register() -> Result<HotplugState<Callbacks>> {
    // SAFETY: The caller drops the result before the module is unloaded.
    unsafe { HotplugState::register() }
}
