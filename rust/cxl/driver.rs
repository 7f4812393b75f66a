// SPDX-License-Identifier: GPL-2.0

//! Drivers on the CXL bus (`cxl_bus_type`).
//!
//! A [`Driver`] names the CXL device type it binds; a [`Registration`] registers it with the bus
//! for as long as the registration lives, the way `cxl_driver_register()` /
//! `cxl_driver_unregister()` do in C.

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings,
    device::{self, Device},
    error::from_result,
    ffi::c_int,
    prelude::*, //
};

use super::{glue, DeviceType};

/// A driver for one type of CXL bus device.
pub(crate) trait Driver: 'static {
    /// The driver name shown under `/sys/bus/cxl/drivers/`.
    const NAME: &'static CStr;
    /// The device type it binds.
    const TYPE: DeviceType;
    /// Hide the `bind`/`unbind` attributes of the driver.
    const SUPPRESS_BIND_ATTRS: bool = false;
    /// Probe asynchronously (`PROBE_PREFER_ASYNCHRONOUS`).
    const ASYNC_PROBE: bool = false;

    /// Binds `dev`. Resources are device-managed: they are released when the device unbinds.
    fn probe(dev: &Device<device::Core<'_>>) -> Result;

    /// Unbinds `dev`, before its device-managed resources are released.
    fn remove(_dev: &Device<device::Core<'_>>) {}
}

/// A registered CXL driver; unregistered when dropped.
///
/// # Invariants
///
/// `drv` is a `struct cxl_driver` registered with the CXL bus by `rcxl_driver_register()` whose
/// callbacks are those of `T`.
pub(crate) struct Registration<T: Driver> {
    drv: NonNull<glue::CxlDriver>,
    _driver: PhantomData<T>,
}

// SAFETY: The registration only holds a pointer to the registered driver, which the bus
// synchronises; it can be dropped from any thread.
unsafe impl<T: Driver> Send for Registration<T> {}
// SAFETY: `&Registration` offers no methods.
unsafe impl<T: Driver> Sync for Registration<T> {}

impl<T: Driver> Registration<T> {
    /// Registers `T` with the CXL bus. Devices of its type already present are probed at once.
    pub(crate) fn new() -> Result<Self> {
        let mut err: c_int = 0;
        // SAFETY: `T::NAME` is a NUL-terminated string that lives forever; the callbacks match the
        // prototypes the bus expects; `err` is valid for a write.
        let drv = unsafe {
            glue::rcxl_driver_register(
                T::NAME.as_char_ptr(),
                T::TYPE.to_raw(),
                probe_callback::<T>,
                remove_callback::<T>,
                T::SUPPRESS_BIND_ATTRS,
                T::ASYNC_PROBE,
                &mut err,
            )
        };
        let drv = NonNull::new(drv).ok_or_else(|| Error::from_errno(err))?;
        // INVARIANT: `rcxl_driver_register()` returned a registered driver for `T`.
        Ok(Self {
            drv,
            _driver: PhantomData,
        })
    }
}

impl<T: Driver> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `drv` is registered; it is unregistered (unbinding every
        // device it drives) and freed exactly once, here.
        unsafe { glue::rcxl_driver_unregister(self.drv.as_ptr()) };
    }
}

/// # Safety
///
/// Called by the CXL bus only, with a live device of type `T::TYPE` while it binds to `T`.
unsafe extern "C" fn probe_callback<T: Driver>(dev: *mut bindings::device) -> c_int {
    // SAFETY: The bus holds a reference to `dev` and its device lock for the whole call, which is
    // what the `Core` context stands for.
    let dev = unsafe { Device::<device::Core<'_>>::from_raw(dev) };
    from_result(|| T::probe(dev).map(|()| 0))
}

/// # Safety
///
/// Called by the CXL bus only, with a live device bound to `T` while it unbinds.
unsafe extern "C" fn remove_callback<T: Driver>(dev: *mut bindings::device) {
    // SAFETY: As in `probe_callback`.
    let dev = unsafe { Device::<device::Core<'_>>::from_raw(dev) };
    T::remove(dev);
}
