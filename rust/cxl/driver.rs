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
use super::{DeviceType, Range};
use core::{marker::PhantomData, mem::offset_of, ptr::NonNull};
use kernel::{
    bindings,
    device::{self, Device},
    driver,
    error::{from_result, to_result},
    ffi::{c_int, c_void},
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    types::Opaque,
    ThisModule, //
};

/// What the region provider tells the driver of a `cxl_dax_region` about its Dynamic Capacity
/// (`struct cxl_notify_data`).
pub(crate) enum Notify<'a> {
    /// An extent was accepted: its host physical address range, tag (all zeros when untagged) and
    /// place in the tag's sequence.
    AddExtent {
        /// The extent's range.
        range: Range,
        /// Its tag.
        tag: [u8; 16],
        /// Its sequence number.
        seq: u16,
    },
    /// These extents are to be released: all of them, or (`EBUSY`, while one is in use) none.
    ReleaseExtents(&'a [Range]),
}

impl Notify<'_> {
    /// Calls `notify` of `drv` for `dev` with `self` in the C layout.
    ///
    /// # Safety
    ///
    /// `notify` is the driver's callback and `dev` its bound device, locked.
    pub(crate) unsafe fn call(
        &self,
        notify: unsafe extern "C" fn(*mut bindings::device, *mut c::cxl_notify_data) -> c_int,
        dev: *mut bindings::device,
    ) -> Result {
        // SAFETY: All zeros is a valid `cxl_notify_data` (integers, a pointer, a uuid).
        let mut d: c::cxl_notify_data = unsafe { core::mem::zeroed() };
        match self {
            Notify::AddExtent { range, tag, seq } => {
                d.event = c::cxl_notify_event_CXL_NOTIFY_ADD_EXTENT;
                // CAST: `Range` has the layout of `struct range`.
                d.ranges = core::ptr::from_ref(range).cast();
                d.nr = 1;
                d.tag.b = *tag;
                d.seq = *seq;
            }
            Notify::ReleaseExtents(ranges) => {
                d.event = c::cxl_notify_event_CXL_NOTIFY_RELEASE_EXTENTS;
                // CAST: `Range` has the layout of `struct range`.
                d.ranges = ranges.as_ptr().cast();
                d.nr = u32::try_from(ranges.len()).map_err(|_| EINVAL)?;
            }
        }
        // SAFETY: Per the function's contract; `d` and what it points to live for the call.
        to_result(unsafe { notify(dev, &mut d) })
    }

    /// # Safety
    ///
    /// `d` is a notification as the provider passes it: `ranges` holds `nr` ranges, live for `'a`.
    unsafe fn from_raw<'a>(d: &'a c::cxl_notify_data) -> Result<Notify<'a>> {
        if d.ranges.is_null() || d.nr == 0 {
            return Err(EINVAL);
        }
        // CAST: `Range` has the layout of `struct range`.
        let ranges = d.ranges.cast::<Range>();
        match d.event {
            c::cxl_notify_event_CXL_NOTIFY_ADD_EXTENT if d.nr == 1 => Ok(Notify::AddExtent {
                // SAFETY: Per the function's contract, one range.
                range: unsafe { *ranges },
                tag: d.tag.b,
                seq: d.seq,
            }),
            c::cxl_notify_event_CXL_NOTIFY_RELEASE_EXTENTS => Ok(Notify::ReleaseExtents(
                // SAFETY: Per the function's contract. CAST: `u32` fits `usize`.
                unsafe { core::slice::from_raw_parts(ranges, d.nr as usize) },
            )),
            _ => Err(EINVAL),
        }
    }
}

/// A device of the CXL bus of one device type, in device context `Ctx` (the shape of
/// `pci::Device<Ctx>`): what a [`Driver`] binds, so that the type it expects is checked when it
/// compiles.
///
/// # Safety
///
/// `Self` is a `#[repr(transparent)]` wrapper of a `struct device` of type [`Self::TYPE`].
pub(crate) unsafe trait BusDevice<Ctx: device::DeviceContext>:
    AsRef<Device<Ctx>>
{
    /// The device type the bus matches the driver with.
    const TYPE: DeviceType;

    /// # Safety
    ///
    /// `dev` is a device of type [`Self::TYPE`], in context `Ctx`, for `'a`.
    unsafe fn from_raw<'a>(dev: *mut bindings::device) -> &'a Self
    where
        Self: Sized,
    {
        // SAFETY: Per the function's contract and the trait's, `Self` wraps the device.
        unsafe { &*dev.cast::<Self>() }
    }
}

/// Declares a [`BusDevice`] for one CXL device type.
macro_rules! bus_device {
    ($(#[$m:meta])* $name:ident, $ty:expr) => {
        $(#[$m])*
        ///
        /// # Invariants
        ///
        /// A reference is to a live device of this type, in context `Ctx`.
        #[repr(transparent)]
        pub(crate) struct $name<Ctx: device::DeviceContext = device::Normal>(
            Opaque<bindings::device>,
            PhantomData<Ctx>,
        );

        // SAFETY: Transparent over the device, which has the type (type invariant).
        unsafe impl<Ctx: device::DeviceContext> BusDevice<Ctx> for $name<Ctx> {
            const TYPE: DeviceType = $ty;
        }

        impl<Ctx: device::DeviceContext> AsRef<Device<Ctx>> for $name<Ctx> {
            fn as_ref(&self) -> &Device<Ctx> {
                // SAFETY: By the type invariants the device is live, in context `Ctx`.
                unsafe { Device::from_raw(self.0.get()) }
            }
        }

        // SAFETY: `$name` is transparent over `Opaque<bindings::device>`, whatever `Ctx`.
        kernel::impl_device_context_deref!(unsafe { $name });
    };
}

bus_device!(
    /// A `cxl_dax_region` device.
    DaxRegionDevice,
    DeviceType::DaxRegion
);
bus_device!(
    /// A region device.
    RegionDevice,
    DeviceType::Region
);

/// A driver for one type of CXL bus device.
#[vtable]
pub(crate) trait Driver: 'static {
    /// The driver name shown under `/sys/bus/cxl/drivers/`.
    const NAME: &'static CStr;
    /// The device it binds ([`DaxRegionDevice`], [`RegionDevice`]): its type is the one the bus
    /// matches.
    type Device<Ctx: device::DeviceContext>: BusDevice<Ctx>;
    /// Hide the `bind`/`unbind` attributes of the driver.
    const SUPPRESS_BIND_ATTRS: bool = false;
    /// Probe asynchronously (`PROBE_PREFER_ASYNCHRONOUS`).
    const ASYNC_PROBE: bool = false;

    /// The driver's per-device data, alive while the device is bound.
    type Data: Send + 'static;

    /// Binds `dev`; the data lives until `dev` unbinds.
    fn probe<'bound>(
        dev: &'bound Self::Device<device::Core<'_>>,
    ) -> impl PinInit<Self::Data, Error> + 'bound;

    /// News from the region provider about the Dynamic Capacity of `dev`, a bound
    /// `cxl_dax_region` (`cxl_driver::notify`), with `dev` locked; `data` is what
    /// [`Driver::probe`] built for this binding.
    fn notify(
        _dev: &Self::Device<device::Bound>,
        _data: Pin<&Self::Data>,
        _news: &Notify<'_>,
    ) -> Result {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// The CXL bus adapter of a [`Driver`].
pub(crate) struct Adapter<T: Driver>(PhantomData<T>);

/// The registration of driver `T` with the CXL bus; unregistered (unbinding every device it
/// drives) when dropped.
pub(crate) type Registration<T> = driver::Registration<Adapter<T>>;

// SAFETY: `cxl_driver` is a C structure (`repr(C)` in the bindings) that embeds its
// `struct device_driver` at `drv`. `DriverData` is `()`: `probe_callback` keeps a `T::Data` in a
// devres, never in the drvdata, which the cores own (see the module documentation), and
// `register` removes the generic post-unbind hook that would take the drvdata for ours.
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
        // SAFETY: A `struct cxl_driver` being initialised may be written; nothing reads it before
        // it is registered below. `driver::Registration` attached its callbacks first: what
        // `DRIVER` leaves out of them is kept, and the one left out on purpose is cleared here.
        unsafe {
            let p_cb = (*d).drv.p_cb;
            d.write(Self::DRIVER);
            (*d).drv.p_cb = p_cb;
            // The generic post-unbind hook drops the drvdata as the driver's `DriverData`: here
            // the drvdata is the core's (`alloc_dax_region()` keeps the dax region in it), and
            // the driver's data is a devres, dropped at unbind.
            (*d).drv.p_cb.post_unbind_rust = None;
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
    /// `T::Data` is zero-sized with nothing to drop (both drivers here): it needs no devres node.
    const NO_DATA: bool =
        core::mem::size_of::<T::Data>() == 0 && !core::mem::needs_drop::<T::Data>();

    /// The `struct cxl_driver` of `T`, as C declares one statically.
    const DRIVER: c::cxl_driver = {
        // SAFETY: All zeros is a valid `struct cxl_driver` (integers, nullable pointers and
        // `Option`s of function pointers).
        let mut d: c::cxl_driver = unsafe { core::mem::zeroed() };
        d.name = T::NAME.to_bytes_with_nul().as_ptr();
        d.id = <T::Device<device::Normal> as BusDevice<device::Normal>>::TYPE.to_raw();
        d.probe = Some(Self::probe_callback);
        if T::HAS_NOTIFY {
            d.notify = Some(Self::notify_callback);
        }
        d.drv.suppress_bind_attrs = T::SUPPRESS_BIND_ATTRS;
        if T::ASYNC_PROBE {
            d.drv.probe_type = bindings::probe_type_PROBE_PREFER_ASYNCHRONOUS;
        }
        d
    };

    extern "C" fn notify_callback(
        dev: *mut bindings::device,
        data: *mut c::cxl_notify_data,
    ) -> c_int {
        // SAFETY: The provider calls `notify` with a bound device of this driver (so of its type),
        // locked, for the duration of the call.
        let typed = unsafe { T::Device::<device::Bound>::from_raw(dev) };
        from_result(|| {
            // SAFETY: The provider passes a valid notification, live for the call.
            let news = unsafe { Notify::from_raw(&*data) }?;
            if Self::NO_DATA {
                // SAFETY: A zero-sized `T::Data` needs no memory: an aligned, non-null pointer
                // is a valid one, and pinning holds trivially.
                let data = unsafe { Pin::new_unchecked(&*NonNull::<T::Data>::dangling().as_ptr()) };
                return T::notify(typed, data, &news).map(|()| 0);
            }
            // SAFETY: `dev` is live; `data_release::<T>` is this driver's (and only this
            // driver's) devres release function, so what is found is the data `probe_callback()`
            // added.
            let res = unsafe {
                bindings::devres_find(dev, Some(Self::data_release), None, core::ptr::null_mut())
            };
            if res.is_null() {
                return Err(ENXIO);
            }
            // SAFETY: `res` holds an initialised `T::Data` (added only once initialised), pinned
            // in the devres node; it is dropped at unbind, which waits for the device lock that
            // the caller holds across this call, so it outlives the borrow.
            let data = unsafe { Pin::new_unchecked(&*res.cast::<T::Data>()) };
            T::notify(typed, data, &news)?;
            Ok(0)
        })
    }

    /// Drops the driver's data when the device unbinds (the devres release function).
    ///
    /// # Safety
    ///
    /// `res` is the data of a devres node added by [`Self::probe_callback`], released once.
    unsafe extern "C" fn data_release(_dev: *mut bindings::device, res: *mut c_void) {
        // SAFETY: Per the function's contract `res` holds an initialised `T::Data`, dropped once.
        unsafe { core::ptr::drop_in_place(res.cast::<T::Data>()) };
    }

    extern "C" fn probe_callback(raw: *mut bindings::device) -> c_int {
        // SAFETY: The CXL bus calls probe with a live device of the driver's type (it matched
        // `cxl_driver::id`, set from `T::Device`'s), holding its device lock for the whole call.
        let typed = unsafe { T::Device::<device::Core<'_>>::from_raw(raw) };
        // The devres node's data is aligned for any `u64`, as kmalloc's memory is.
        const { assert!(core::mem::align_of::<T::Data>() <= core::mem::align_of::<u64>()) };
        from_result(|| {
            let init = T::probe(typed);
            if Self::NO_DATA {
                // No devres node to allocate (and free again when the probe fails, as a
                // region's does until it is committed): the C drivers allocate nothing there.
                //
                // SAFETY: A zero-sized `T::Data` needs no memory: an aligned, non-null pointer
                // is valid for its initialisation; there is nothing to drop (`NO_DATA`).
                unsafe { pin_init::raw_try_init(NonNull::<T::Data>::dangling().as_ptr(), init) }?;
                return Ok(0);
            }
            // The data is a devres node of its own (`devres_alloc()`), so that `notify_callback`
            // can find it again (`devres_find()`) by its release function.
            //
            // SAFETY: Allocation only; the name is static.
            let res = unsafe {
                bindings::__devres_alloc_node(
                    Some(Self::data_release),
                    core::mem::size_of::<T::Data>(),
                    bindings::GFP_KERNEL,
                    bindings::NUMA_NO_NODE,
                    c"cxl_driver_data".as_char_ptr(),
                )
            };
            if res.is_null() {
                return Err(ENOMEM);
            }
            // SAFETY: `res` is uninitialised memory of the size of `T::Data`, aligned for it
            // (asserted above), that is never moved: it may be initialised in place.
            if let Err(err) = unsafe { pin_init::raw_try_init(res.cast::<T::Data>(), init) } {
                // SAFETY: `res` was allocated above, is not added, and holds nothing to drop.
                unsafe { bindings::devres_free(res) };
                return Err(err);
            }
            // SAFETY: `raw` is live and bound (in probe); `res` is initialised, and from here the
            // device owns it: `data_release` drops it at unbind.
            unsafe { bindings::devres_add(raw, res) };
            Ok(0)
        })
    }
}

/// The registration of driver `T` with the CXL bus, made later, by a work item on
/// `system_long_wq` that first runs `settle` (a `DECLARE_WORK()` that calls
/// `cxl_driver_register()`, as `drivers/dax/cxl.c` does to let `dax_hmem` settle first).
/// Dropping it waits for that work item (`flush_work()`), then unregisters the driver if it was
/// registered, unbinding every device it drives.
///
/// # Invariants
///
/// - `work` is an initialised work item whose function is [`Self::run`]; it is queued once, by
///   [`Self::new`], and never again.
/// - `registered` is set (by the work item only) once `drv` is registered, and `drv` is not
///   touched after that but by [`PinnedDrop::drop`], which unregisters it.
#[pin_data(PinnedDrop)]
pub(crate) struct DeferredRegistration<T: Driver> {
    #[pin]
    work: Opaque<bindings::work_struct>,
    #[pin]
    drv: Opaque<c::cxl_driver>,
    name: &'static CStr,
    module: &'static ThisModule,
    settle: fn(),
    registered: Atomic<bool>,
    _t: PhantomData<T>,
}

// SAFETY: The C parts are only touched by the work item, and by drop after waiting for it; the
// rest is read-only or atomic.
unsafe impl<T: Driver> Send for DeferredRegistration<T> {}
// SAFETY: As for `Send`: no method of `&Self` touches the C parts.
unsafe impl<T: Driver> Sync for DeferredRegistration<T> {}

impl<T: Driver> DeferredRegistration<T> {
    /// Queues the registration of `T`, under the module's `name` (`KBUILD_MODNAME` in C), on
    /// `system_long_wq`, to be made once `settle` has returned.
    pub(crate) fn new(
        name: &'static CStr,
        module: &'static ThisModule,
        settle: fn(),
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            work <- Opaque::ffi_init(|w| {
                // SAFETY: `w` is valid for writes and will stay pinned; `run` has the work
                // function's signature, and the name and lock class key are static.
                unsafe {
                    bindings::init_work_with_key(
                        w,
                        Some(Self::run),
                        false,
                        c"DeferredRegistration::work".as_char_ptr(),
                        kernel::static_lock_class!().as_ptr(),
                    )
                }
            }),
            drv: Opaque::zeroed(),
            name,
            module,
            settle,
            registered: Atomic::new(false),
            _t: PhantomData,
        })
        .pin_chain(|this| {
            // SAFETY: `work` is initialised and pinned; drop waits for it before it goes.
            //
            // INVARIANT: This is the one time the work item is queued.
            unsafe {
                bindings::queue_work_on(
                    bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                    bindings::system_long_wq,
                    this.work.get(),
                )
            };
            Ok(())
        })
    }

    /// The work function.
    ///
    /// # Safety
    ///
    /// `work` is the `work` field of a pinned `DeferredRegistration<T>` (the workqueue passes the
    /// item that `new` queued).
    unsafe extern "C" fn run(work: *mut bindings::work_struct) {
        // SAFETY: Per the function's contract; drop waits for this function before the memory
        // goes.
        let this = unsafe {
            &*kernel::container_of!(work.cast::<Opaque<bindings::work_struct>>(), Self, work)
        };
        (this.settle)();
        // SAFETY: `drv` is zeroed, pinned and registered nowhere; it stays so until drop, which
        // unregisters it once `registered` is set.
        match unsafe {
            <Adapter<T> as driver::RegistrationOps>::register(&this.drv, this.name, this.module)
        } {
            // INVARIANT: `drv` is registered.
            Ok(()) => this.registered.store(true, Relaxed),
            Err(e) => pr_err!("cannot register the driver: {:?}\n", e),
        }
    }
}

#[pinned_drop]
impl<T: Driver> PinnedDrop for DeferredRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `work` is initialised; this runs in process context (module exit).
        unsafe { bindings::flush_work(self.work.get()) };
        // The flush orders the work item's store before this load.
        if self.registered.load(Relaxed) {
            // SAFETY: By the invariants, `drv` is registered, and nothing else unregisters it.
            unsafe { <Adapter<T> as driver::RegistrationOps>::unregister(&self.drv) };
        }
    }
}
