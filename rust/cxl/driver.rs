// SPDX-License-Identifier: GPL-2.0

//! Drivers on the CXL bus (`cxl_bus_type`), in the shape of `rust/kernel/pci.rs`.
//!
//! A [`Driver`] names the CXL device type it binds and builds its per-device data with pin-init;
//! [`Adapter`] implements the kernel crate's [`driver::RegistrationOps`] for it, so that
//! `kernel::driver::Registration<Adapter<T>>` owns the `struct cxl_driver` and registers it for
//! as long as it lives (`cxl_driver_register()` / `cxl_driver_unregister()` in C).
//!
//! One difference from the buses of the kernel crate: the driver data is not kept in the device's
//! `drvdata`, because the cores these drivers call own it (`alloc_dax_region()` stores the dax
//! region in the drvdata of the `cxl_dax_region` device that `dax_cxl` binds). The data is a
//! devres of the bound device instead, dropped when it unbinds before the resources devres
//! acquired during probe, and the generic post-unbind hook, which would take the drvdata for the
//! driver's, is not installed.

use super::cxl_bindings as c;
use super::DeviceType;
use core::{marker::PhantomData, mem::offset_of};
use kernel::{
    bindings,
    device::{self, Device},
    devres,
    driver,
    error::{from_result, to_result},
    ffi::c_int,
    prelude::*,
    types::Opaque,
    ThisModule, //
};

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

    /// The driver's per-device data, alive while the device is bound.
    type Data: Send + 'static;

    /// Binds `dev`; the data lives until `dev` unbinds.
    fn probe<'bound>(
        dev: &'bound Device<device::Core<'_>>,
    ) -> impl PinInit<Self::Data, Error> + 'bound;
}

/// The CXL bus adapter of a [`Driver`].
pub(crate) struct Adapter<T: Driver>(PhantomData<T>);

/// The registration of driver `T` with the CXL bus; unregistered (unbinding every device it
/// drives) when dropped.
pub(crate) type Registration<T> = driver::Registration<Adapter<T>>;

// SAFETY: `cxl_driver` is a C structure (`repr(C)` in the bindings) that embeds its
// `struct device_driver` at `drv`; the driver data set by `probe_callback` is a `T::Data`.
unsafe impl<T: Driver> driver::DriverLayout for Adapter<T> {
    type DriverType = c::cxl_driver;
    // Nothing in the drvdata (see the module documentation).
    type DriverData<'bound> = ();
    const DEVICE_DRIVER_OFFSET: usize = offset_of!(c::cxl_driver, drv);
}

// SAFETY: `unregister` is only reached through `driver::Registration`, after `register`
// succeeded for the same structure.
unsafe impl<T: Driver> driver::RegistrationOps for Adapter<T> {
    unsafe fn register(
        drv: &Opaque<Self::DriverType>,
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> Result {
        let d = drv.get();
        // SAFETY: The fields of a `struct cxl_driver` being initialised may be written; nothing
        // reads them before it is registered below.
        unsafe {
            (*d).name = T::NAME.as_char_ptr();
            (*d).id = T::TYPE.to_raw();
            (*d).probe = Some(Self::probe_callback);
            (*d).drv.suppress_bind_attrs = T::SUPPRESS_BIND_ATTRS;
            // The drvdata belongs to the cores (see the module documentation).
            (*d).drv.p_cb.post_unbind_rust = None;
            if T::ASYNC_PROBE {
                (*d).drv.probe_type = bindings::probe_type_PROBE_PREFER_ASYNCHRONOUS;
            }
        }
        // SAFETY: `d` is a valid, initialised driver that stays pinned until `unregister`; `name`
        // (the module name, `KBUILD_MODNAME` in C) and `module` live as long as the module.
        to_result(unsafe { c::__cxl_driver_register(d, module.as_ptr(), name.as_char_ptr()) })
    }

    unsafe fn unregister(drv: &Opaque<Self::DriverType>) {
        // SAFETY: By the function's contract the driver was registered.
        unsafe { c::cxl_driver_unregister(drv.get()) };
    }
}

impl<T: Driver> Adapter<T> {
    extern "C" fn probe_callback(dev: *mut bindings::device) -> c_int {
        // SAFETY: The CXL bus calls probe with a live device of type `T::TYPE`, holding its device
        // lock for the whole call.
        //
        // INVARIANT: `dev` is valid for the duration of `probe_callback()`.
        let dev = unsafe { Device::<device::CoreInternal<'_>>::from_raw(dev) };
        from_result(|| {
            let data = T::probe(dev);
            devres::register(dev, data, GFP_KERNEL)?;
            Ok(0)
        })
    }
}
