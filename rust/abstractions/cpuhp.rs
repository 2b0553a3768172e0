// SPDX-License-Identifier: GPL-2.0

//! CPU hotplug: a dynamic hotplug state whose callbacks are a type's.
//!
//! The state goes in the dynamic PREPARE section (`CPUHP_BP_PREPARE_DYN`),
//! whose callbacks run on a control CPU, in task context, with the hotplug
//! lock held: for writing during a hotplug operation, for reading while the
//! state is installed (include/linux/cpuhotplug.h). Its startup runs before
//! the CPU executes anything, so what it sets up is there before any code on
//! that CPU can look; its teardown runs after the CPU is dead
//! (`CPUHP_BRINGUP_CPU`'s teardown has taken it down), so nothing on that CPU
//! can still be using what it tears down. The dynamic ONLINE section
//! (`CPUHP_AP_ONLINE_DYN`) would run both on the CPU itself while it already
//! runs tasks and interrupts: after them coming up, before them going down.

use super::cpus::PossibleCpu;
use core::marker::PhantomData;
use kernel::{
    bindings,
    error::to_result,
    ffi::{c_int, c_uint},
    prelude::*,
};

/// The callbacks of a [`HotplugState`].
pub(crate) trait HotplugHandler {
    /// The state's name, shown in `/sys/devices/system/cpu/hotplug/states`.
    const NAME: &'static CStr;

    /// `cpu` is about to come up: called before it runs anything, and at
    /// registration for every CPU already up. May sleep. An error aborts the
    /// bring-up (or the registration) and the CPU stays down. `frozen`: the
    /// CPU comes back as the system resumes from suspend, tasks frozen.
    fn prepare(cpu: PossibleCpu, frozen: bool) -> Result;

    /// `cpu` is dead: called once nothing runs on it anymore. May sleep; the
    /// kernel cannot take an error here (nor at module removal), so there is
    /// none. `frozen`: the CPU goes down as the system suspends.
    fn dead(cpu: PossibleCpu, frozen: bool);
}

/// A dynamic hotplug state in the PREPARE section whose callbacks are `H`'s,
/// removed when dropped.
///
/// The kernel keeps pointers to `H`'s callbacks and name until the state is
/// removed, so a state that outlived its module (leaked, forgotten) would
/// have the kernel call into freed module text: [`Self::register`] is
/// unsafe, and its caller promises the drop.
///
/// # Invariants
///
/// `state` is a dynamic state that [`Self::register`] installed with `H`'s
/// callbacks, and that only `drop` removes.
pub(crate) struct HotplugState<H: HotplugHandler> {
    state: bindings::cpuhp_state,
    _handler: PhantomData<H>,
}

impl<H: HotplugHandler> HotplugState<H> {
    /// Installs `H`'s callbacks in a new dynamic state and calls
    /// [`HotplugHandler::prepare`] for every CPU already at or past it, under
    /// the hotplug lock, so that from here on `prepare` and `dead` calls for a
    /// CPU alternate, starting with `prepare`, until the state is dropped,
    /// which calls neither. If one fails, `dead` is called for the CPUs
    /// prepared so far and nothing stays installed.
    ///
    /// Must not be called with a lock held that `H`'s callbacks take, nor with
    /// the hotplug lock held: that deadlocks, as the callbacks run here under
    /// the hotplug lock, which ranks above their locks.
    ///
    /// # Safety
    ///
    /// The result is dropped before the module that holds `H` is unloaded
    /// (for example: it is kept in the module's data, which is dropped at
    /// unload), never leaked or forgotten.
    pub(crate) unsafe fn register() -> Result<Self> {
        // SAFETY: `NAME` is a static string, which the state keeps; the
        // callbacks have the signature it expects and remain callable until
        // the state is removed, which `drop` does before the module that
        // holds them can go (the caller's promise). `multi_instance` is
        // false: no instance list.
        let ret = unsafe {
            bindings::__cpuhp_setup_state(
                bindings::cpuhp_state_CPUHP_BP_PREPARE_DYN,
                H::NAME.as_char_ptr(),
                true,
                Some(startup::<H>),
                Some(teardown::<H>),
                false,
            )
        };
        to_result(ret)?;
        // INVARIANT: For a dynamic state, a positive return is the state
        // installed; zero is never one (`CPUHP_OFFLINE`).
        if ret == 0 {
            return Err(EINVAL);
        }
        Ok(Self {
            state: ret,
            _handler: PhantomData,
        })
    }
}

impl<H: HotplugHandler> Drop for HotplugState<H> {
    fn drop(&mut self) {
        // Without calls: the owner tears down what `prepare` set up itself.
        // `__cpuhp_remove_state()` takes the hotplug lock for reading, which
        // waits for a hotplug operation (whose callbacks run with it held for
        // writing) to finish, and then uninstalls the callbacks: none runs
        // after it returns, and none is left behind.
        // SAFETY: `state` was installed by `register` and not removed since
        // (type invariant). (Dropping it under the hotplug lock or inside a
        // callback of `H` would deadlock, not corrupt anything.)
        unsafe { bindings::__cpuhp_remove_state(self.state, false) };
    }
}

/// The startup callback of a [`HotplugState<H>`].
extern "C" fn startup<H: HotplugHandler>(cpu: c_uint) -> c_int {
    // The hotplug core only brings up possible CPUs.
    let Some(cpu) = PossibleCpu::from_u32(cpu) else {
        return EINVAL.to_errno();
    };
    match H::prepare(cpu, tasks_frozen()) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The teardown callback of a [`HotplugState<H>`].
extern "C" fn teardown<H: HotplugHandler>(cpu: c_uint) -> c_int {
    if let Some(cpu) = PossibleCpu::from_u32(cpu) {
        H::dead(cpu, tasks_frozen());
    }
    0
}

/// `cpuhp_tasks_frozen`: whether the hotplug operation whose callbacks run is
/// part of suspend or resume. The core sets it per operation and never clears
/// it, so in the calls [`HotplugState::register`] makes it is what the last
/// operation left: true after a resume until a CPU is next taken down or up.
fn tasks_frozen() -> bool {
    // SAFETY: Written by the hotplug core before it runs an operation's
    // callbacks, under the hotplug lock those callbacks run under.
    unsafe { bindings::cpuhp_tasks_frozen }
}
