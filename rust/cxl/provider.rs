// SPDX-License-Identifier: GPL-2.0

//! The region provider: what `patches/0002` lets one module register with the CXL core in place
//! of the built-in region code.
//!
//! A [`Provider`] names the attribute groups of its region devices and of the decoders, and
//! implements what the core calls into. [`Registration`] owns, pinned, the `struct
//! cxl_region_provider` ops table (`extern "C"` trampolines monomorphised for the provider), the
//! device types of region and `cxl_dax_region` devices, and the CXL bus notifier that adds the
//! decoder attributes. Dropping it stops region creation, removes every region, unregisters, and
//! waits until the last region and dax region device has been released, so that no release
//! callback or device type outlives the module.
//!
//! # Locking
//!
//! The core calls the ops inside an SRCU read section that unregistration waits for. The
//! decoder attributes are removed before the regions, which `sysfs_remove_group()` does only
//! once the writers in flight have returned: nothing creates a region after that.

use super::cxl_bindings as c;
use super::extent_dev::ExtentDev;
use super::region::{Region, RootDecoder};
use super::sysfs::Group;
use super::topology::{EndpointDecoder, Memdev, MemdevState};
use core::{marker::PhantomData, ptr};
use kernel::{
    bindings,
    device::Device,
    error::to_result,
    ffi::{c_int, c_ulong, c_void},
    new_mutex,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
    sync::Mutex,
    time::{delay::fsleep, Delta},
    types::Opaque, //
};

/// What a region provider implements.
pub(crate) trait Provider: 'static {
    /// The attribute groups of region devices, besides the core's base group (at most 6).
    const REGION_GROUPS: &'static [&'static Group];
    /// The attributes of root decoders (`create_*_region`, `delete_region`).
    const ROOT_DECODER_GROUP: &'static Group;
    /// The attributes of switch and endpoint decoders (`region`).
    const DECODER_GROUP: &'static Group;
    /// The groups of a region that follow its access coordinates (`access0/`, `access1/`).
    const ACCESS_GROUPS: [&'static Group; 2];
    /// The attributes of `extentZ.N` devices.
    const EXTENT_GROUP: &'static Group;

    /// Removes every region of `rd`; `dying` when the root decoder itself goes away (no more
    /// regions may be created on it).
    fn remove_regions(rd: &RootDecoder, dying: bool);

    /// The endpoint decoder is being unregistered: it leaves its region.
    fn decoder_unregister(cxled: &EndpointDecoder);

    /// The provider's Dynamic Capacity state (pending chains, accepted extents), held by the
    /// registration under a mutex.
    type Dc: Default + Send + 'static;

    /// A record of a device's Dynamic Capacity event log (`record`, `extent::RECORD_LEN` bytes),
    /// from the device's event thread.
    fn dc_event(dc: &Mutex<Self::Dc>, mds: &MemdevState, record: &[u8]);

    /// No more Dynamic Capacity events will come: end what is in flight (timers, open chains).
    /// The state stays reachable through [`dc_state`] until this returns.
    fn dc_shutdown(dc: &Mutex<Self::Dc>);

    /// The memdev `md` lost its device state (`cxl_memdev_unregister()`, after its events
    /// stopped): what the state keeps of it goes.
    fn dc_memdev_gone(dc: &Mutex<Self::Dc>, md: &Memdev);
}

/// The device types of the provider's devices and the count of those not yet released.
///
/// # Invariants
///
/// `region`, `dax_region` and `extent` are initialized device types whose release callbacks are
/// [`region_release`], [`dax_region_release`] and `ExtentDev::release`; every device of these
/// types was counted in `live` when it was initialized and is uncounted by its release callback,
/// as the last thing it does.
#[pin_data]
pub(crate) struct DeviceTypes {
    #[pin]
    region: Opaque<bindings::device_type>,
    #[pin]
    dax_region: Opaque<bindings::device_type>,
    #[pin]
    region_groups: Opaque<[*const bindings::attribute_group; MAX_GROUPS + 2]>,
    #[pin]
    dax_region_groups: Opaque<[*const bindings::attribute_group; 2]>,
    #[pin]
    extent: Opaque<bindings::device_type>,
    #[pin]
    extent_groups: Opaque<[*const bindings::attribute_group; 2]>,
    live: Atomic<usize>,
}

/// The most groups a provider's region devices have, besides the base group.
const MAX_GROUPS: usize = 6;

impl DeviceTypes {
    /// The device type of region devices.
    pub(crate) fn region(&self) -> *const bindings::device_type {
        self.region.get()
    }

    /// The device type of `cxl_dax_region` devices.
    pub(crate) fn dax_region(&self) -> *const bindings::device_type {
        self.dax_region.get()
    }

    /// The device type of `extentZ.N` devices.
    pub(crate) fn extent(&self) -> *const bindings::device_type {
        self.extent.get()
    }

    /// Counts a device of one of the types, about to be initialized.
    pub(crate) fn count_new(&self) {
        self.live.fetch_add(1, Relaxed);
    }

    /// Uncounts a released device, the last thing its release callback does.
    pub(crate) fn uncount(&self) {
        self.live.fetch_sub(1, Release);
    }

    /// The types an extent device was made with.
    ///
    /// # Safety
    ///
    /// `dev` is a live device whose type is the extent type of a [`DeviceTypes`].
    pub(crate) unsafe fn of_extent<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: As in `of_region`.
        unsafe {
            let t = (*dev)
                .type_
                .cast::<Opaque<bindings::device_type>>()
                .cast_mut();
            &*kernel::container_of!(t, DeviceTypes, extent)
        }
    }

    /// The types a region device was made with.
    ///
    /// # Safety
    ///
    /// `dev` is a live device whose type is the region type of a [`DeviceTypes`].
    unsafe fn of_region<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: Per the function's contract the type is embedded in a `DeviceTypes`, which
        // outlives its devices (the registration waits for `live` to drop to 0).
        unsafe {
            let t = (*dev)
                .type_
                .cast::<Opaque<bindings::device_type>>()
                .cast_mut();
            &*kernel::container_of!(t, DeviceTypes, region)
        }
    }

    /// The types a `cxl_dax_region` device was made with.
    ///
    /// # Safety
    ///
    /// `dev` is a live device whose type is the dax region type of a [`DeviceTypes`].
    unsafe fn of_dax_region<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: As in `of_region`.
        unsafe {
            let t = (*dev)
                .type_
                .cast::<Opaque<bindings::device_type>>()
                .cast_mut();
            &*kernel::container_of!(t, DeviceTypes, dax_region)
        }
    }
}

/// A registered region provider.
///
/// # Invariants
///
/// While `registered`, `ops` is registered with the core, `nb` with the CXL bus, and the decoders
/// carry `P`'s groups.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<P: Provider> {
    #[pin]
    ops: Opaque<c::cxl_region_provider>,
    #[pin]
    nb: Opaque<bindings::notifier_block>,
    #[pin]
    types: DeviceTypes,
    #[pin]
    dc: Mutex<P::Dc>,
    registered: bool,
    _p: PhantomData<P>,
}

// SAFETY: The C structures are only changed before registration and after unregistration; the
// registration can be dropped from any task.
unsafe impl<P: Provider> Send for Registration<P> {}
// SAFETY: `&Registration` only offers the device types, whose counter is atomic.
unsafe impl<P: Provider> Sync for Registration<P> {}

impl<P: Provider> Registration<P> {
    /// Registers `P` with the core and adds its attributes to every decoder, present and future.
    pub(crate) fn new() -> Result<Pin<KBox<Self>>> {
        let mut reg = KBox::pin_init(
            pin_init!(Self {
                ops <- Opaque::zeroed(),
                nb <- Opaque::zeroed(),
                types <- pin_init!(DeviceTypes {
                    region <- Opaque::zeroed(),
                    dax_region <- Opaque::zeroed(),
                    region_groups <- Opaque::zeroed(),
                    dax_region_groups <- Opaque::zeroed(),
                    extent <- Opaque::zeroed(),
                    extent_groups <- Opaque::zeroed(),
                    live: Atomic::new(0),
                }),
                dc <- new_mutex!(P::Dc::default()),
                registered: false,
                _p: PhantomData,
            }),
            GFP_KERNEL,
        )?;
        if P::REGION_GROUPS.len() > MAX_GROUPS {
            return Err(EINVAL);
        }
        // SAFETY: Nothing is registered yet: the fields may be written. The structure is pinned,
        // so the pointers taken here stay valid until it is dropped; the groups are statics.
        unsafe {
            // Every CXL device carries the core's base group (`CXL_MODALIAS_FMT` and friends).
            let base = (&raw const c::cxl_base_attribute_group).cast::<bindings::attribute_group>();
            let groups = reg
                .types
                .region_groups
                .get()
                .cast::<*const bindings::attribute_group>();
            *groups = base;
            for (i, g) in P::REGION_GROUPS.iter().enumerate() {
                *groups.add(i + 1) = g.as_raw();
            }
            let dax_groups = reg
                .types
                .dax_region_groups
                .get()
                .cast::<*const bindings::attribute_group>();
            *dax_groups = base;
            let t = reg.types.region.get();
            (*t).name = c"cxl_region".as_char_ptr();
            (*t).groups = groups;
            (*t).release = Some(region_release);
            let t = reg.types.dax_region.get();
            (*t).name = c"cxl_dax_region".as_char_ptr();
            (*t).groups = dax_groups;
            (*t).release = Some(dax_region_release);
            let extent_groups = reg
                .types
                .extent_groups
                .get()
                .cast::<*const bindings::attribute_group>();
            *extent_groups = P::EXTENT_GROUP.as_raw();
            let t = reg.types.extent.get();
            (*t).name = c"cxl_extent".as_char_ptr();
            (*t).groups = extent_groups;
            (*t).release = Some(ExtentDev::release);
            let ops = reg.ops.get();
            (*ops).region_type = reg.types.region.get();
            (*ops).dax_region_type = reg.types.dax_region.get();
            (*ops).extent_type = reg.types.extent.get();
            (*ops).decoder_detach = Some(decoder_detach::<P>);
            (*ops).kill_regions = Some(kill_regions::<P>);
            (*ops).dc_event = Some(dc_event::<P>);
            (*ops).memdev_shutdown = Some(memdev_shutdown::<P>);
            (*reg.nb.get()).notifier_call = Some(bus_notify::<P>);
        }
        CURRENT.store(ptr::from_ref(&reg.types) as usize, Release);
        DC.store(ptr::from_ref(&reg.dc) as usize, Release);
        // SAFETY: `ops` is a complete ops table that stays pinned until unregistered in `drop`.
        if let Err(e) = to_result(unsafe { c::cxl_region_provider_register(reg.ops.get()) }) {
            CURRENT.store(0, Release);
            DC.store(0, Release);
            return Err(e);
        }
        // SAFETY: `nb` is initialized and stays pinned until unregistered in `drop`.
        let rc = to_result(unsafe { bindings::bus_register_notifier(bus(), reg.nb.get()) });
        if let Err(e) = rc {
            // SAFETY: Registered just above.
            unsafe { c::cxl_region_provider_unregister(reg.ops.get()) };
            CURRENT.store(0, Release);
            return Err(e);
        }
        // SAFETY: The bus walk calls `decorate` with a referenced device of the bus.
        unsafe {
            bindings::bus_for_each_dev(bus(), ptr::null_mut(), ptr::null_mut(), Some(decorate::<P>))
        };
        // INVARIANT: Both registrations succeeded and the decoders carry the groups.
        // SAFETY: `registered` is not structurally pinned.
        unsafe { reg.as_mut().get_unchecked_mut().registered = true };
        Ok(reg)
    }
}

/// The address of the [`DeviceTypes`] of this module's registered provider, 0 while there is
/// none. Set before the provider is registered, cleared once its last device is released.
static CURRENT: Atomic<usize> = Atomic::new(0);

/// The device types of this module's registered provider. They stay valid while `_pin` lives: an
/// object whose attributes or binding only exist while the provider is registered.
pub(crate) fn current_types<T: ?Sized>(_pin: &T) -> Option<&DeviceTypes> {
    let p = CURRENT.load(Acquire) as *const DeviceTypes;
    // SAFETY: A non-zero value is the address of the pinned `DeviceTypes` of the live
    // registration (see `CURRENT`).
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The address of the pinned Dynamic Capacity state of the live registration, 0 without one. Set
/// before the ops are registered, cleared after they are unregistered (which waits for the calls
/// in flight).
static DC: Atomic<usize> = Atomic::new(0);

/// The Dynamic Capacity state of the registered provider `P`. It stays valid while `_pin` lives:
/// an object whose attributes or callbacks only exist while the provider is registered.
pub(crate) fn dc_state<P: Provider, T: ?Sized>(_pin: &T) -> Option<&Mutex<P::Dc>> {
    let p = DC.load(Acquire) as *const Mutex<P::Dc>;
    // SAFETY: A non-zero value is the address of the pinned state of the live registration, and
    // only `P` registers (one provider per module).
    (!p.is_null()).then(|| unsafe { &*p })
}

// The core hands over whole event records.
const _: () = assert!(core::mem::size_of::<c::cxl_event_record_raw>() == super::extent::RECORD_LEN);

/// `cxl_dc_event()`: a record of a device's Dynamic Capacity event log.
///
/// # Safety
///
/// Called by the core, while the ops are registered, from the event thread of a bound device
/// with a live event record.
unsafe extern "C" fn dc_event<P: Provider>(
    mds: *mut c::cxl_memdev_state,
    rec: *const c::cxl_event_record_raw,
) {
    // SAFETY: The core passes the device state of a bound device, live for the call.
    let mds = unsafe { MemdevState::from_raw(mds) };
    let Some(dc) = dc_state::<P, _>(mds) else {
        return;
    };
    // SAFETY: `rec` points to a whole record (`RECORD_LEN` bytes, asserted above), live for the
    // call and not written meanwhile (the event log lock is held).
    let record =
        unsafe { core::slice::from_raw_parts(rec.cast::<u8>(), super::extent::RECORD_LEN) };
    P::dc_event(dc, mds, record);
}

/// `cxl_region_memdev_shutdown()`: a memdev lost its device state.
///
/// # Safety
///
/// Called by the core, while the ops are registered, with a live memdev.
unsafe extern "C" fn memdev_shutdown<P: Provider>(cxlmd: *mut c::cxl_memdev) {
    // SAFETY: The core passes a live memdev; its device is embedded as `dev`.
    let md = unsafe { Memdev::from_dev((&raw mut (*cxlmd).dev).cast()) };
    if let Some(dc) = dc_state::<P, _>(md) {
        P::dc_memdev_gone(dc, md);
    }
}

#[pinned_drop]
impl<P: Provider> PinnedDrop for Registration<P> {
    fn drop(self: Pin<&mut Self>) {
        if !self.registered {
            return;
        }
        // No new decorated decoders, no attributes (and so no region creation), then no regions,
        // then no calls from the core.
        // SAFETY: By the type invariants `nb` is registered.
        unsafe { bindings::bus_unregister_notifier(bus(), self.nb.get()) };
        // SAFETY: The bus walks call back with referenced devices of the bus.
        unsafe {
            bindings::bus_for_each_dev(
                bus(),
                ptr::null_mut(),
                ptr::null_mut(),
                Some(undecorate::<P>),
            );
            bindings::bus_for_each_dev(
                bus(),
                ptr::null_mut(),
                ptr::null_mut(),
                Some(remove_regions::<P>),
            );
            c::cxl_region_provider_unregister(self.ops.get());
        }
        // No more Dynamic Capacity events (unregistering waited for those in flight).
        P::dc_shutdown(&self.dc);
        DC.store(0, Release);
        // The device types and their release callbacks must outlive every device of theirs.
        // Each release uncounts its device as the last thing it does; `free_module()` then waits
        // for an RCU grace period before the module text goes.
        while self.types.live.load(Acquire) != 0 {
            fsleep(Delta::from_millis(10));
        }
        CURRENT.store(0, Release);
    }
}

fn bus() -> *const bindings::bus_type {
    (&raw const c::cxl_bus_type).cast()
}

/// The group `P` adds to `dev`, if it is a decoder.
///
/// # Safety
///
/// `dev` is a live device of the CXL bus.
unsafe fn decoder_group<P: Provider>(dev: *mut bindings::device) -> Option<&'static Group> {
    // SAFETY: Per the function's contract.
    unsafe {
        if c::is_root_decoder(dev.cast()) {
            Some(P::ROOT_DECODER_GROUP)
        } else if c::is_switch_decoder(dev.cast()) || c::is_endpoint_decoder(dev.cast()) {
            Some(P::DECODER_GROUP)
        } else {
            None
        }
    }
}

/// Adds `P`'s attributes to a decoder. A decoder the notifier and the bus walk both see is
/// decorated once: a group whose files exist is refused whole.
///
/// # Safety
///
/// Called with a live, referenced device of the CXL bus.
unsafe extern "C" fn decorate<P: Provider>(dev: *mut bindings::device, _: *mut c_void) -> c_int {
    // SAFETY: Per the function's contract.
    let Some(group) = (unsafe { decoder_group::<P>(dev) }) else {
        return 0;
    };
    // SAFETY: Per the function's contract.
    let dev = unsafe { Device::from_raw(dev) };
    if let Err(e) = group.create(dev) {
        if e != EEXIST {
            dev_warn!(dev, "cannot add the region attributes: {:?}\n", e);
        }
    }
    0
}

/// Removes `P`'s attributes from a decoder.
///
/// # Safety
///
/// As for [`decorate`].
unsafe extern "C" fn undecorate<P: Provider>(dev: *mut bindings::device, _: *mut c_void) -> c_int {
    // SAFETY: Per the function's contract.
    if let Some(group) = unsafe { decoder_group::<P>(dev) } {
        // SAFETY: Per the function's contract.
        group.remove(unsafe { Device::from_raw(dev) });
    }
    0
}

/// Module exit: every region of a root decoder goes; the root decoder stays usable.
///
/// # Safety
///
/// As for [`decorate`].
unsafe extern "C" fn remove_regions<P: Provider>(
    dev: *mut bindings::device,
    _: *mut c_void,
) -> c_int {
    // SAFETY: Per the function's contract.
    if unsafe { c::is_root_decoder(dev.cast()) } {
        // SAFETY: A live root decoder, referenced by the bus walk.
        P::remove_regions(unsafe { RootDecoder::from_dev(dev) }, false);
    }
    0
}

/// The CXL bus notifier: new decoders get `P`'s attributes before user space hears of them
/// (`BUS_NOTIFY_ADD_DEVICE` runs ahead of the `KOBJ_ADD` uevent).
///
/// # Safety
///
/// Called by the bus notifier chain with a device of the bus.
unsafe extern "C" fn bus_notify<P: Provider>(
    _nb: *mut bindings::notifier_block,
    action: c_ulong,
    data: *mut c_void,
) -> c_int {
    // CAST: A small constant of `device/bus.h`.
    if action == c::RCXL_BUS_NOTIFY_ADD_DEVICE {
        // SAFETY: The chain passes the device being added, referenced by its adder.
        unsafe { decorate::<P>(data.cast(), ptr::null_mut()) };
    }
    bindings::NOTIFY_DONE as c_int
}

/// `kill_regions()`: the root decoder is being unregistered.
///
/// # Safety
///
/// Called by the core with a live root decoder.
unsafe extern "C" fn kill_regions<P: Provider>(cxlrd: *mut c::cxl_root_decoder) {
    // SAFETY: The core passes a live root decoder.
    P::remove_regions(unsafe { RootDecoder::from_raw(cxlrd) }, true);
}

/// `cxl_decoder_detach()`: the core calls it from `cxld_unregister()` only, as
/// `(NULL, cxled, -1, DETACH_INVALIDATE)`.
///
/// # Safety
///
/// Called by the core with a live endpoint decoder or NULL.
unsafe extern "C" fn decoder_detach<P: Provider>(
    _cxlr: *mut c::cxl_region,
    cxled: *mut c::cxl_endpoint_decoder,
    _pos: c_int,
    _mode: c::cxl_detach_mode,
) -> c_int {
    if !cxled.is_null() {
        // SAFETY: The core passes a live endpoint decoder.
        P::decoder_unregister(unsafe { EndpointDecoder::from_raw(cxled) });
    }
    0
}

/// `cxl_region_release()`: the last reference to a region device is gone.
///
/// # Safety
///
/// Called by the driver core once, with a region device of ours.
unsafe extern "C" fn region_release(dev: *mut bindings::device) {
    // SAFETY: The device is of our region type; its types are read before the region goes.
    let types = unsafe { DeviceTypes::of_region(dev) };
    // SAFETY: `dev` is embedded in a region allocated by `Region::alloc`, released once.
    unsafe { Region::release(dev) };
    types.uncount();
}

/// The release of a `cxl_dax_region` device.
///
/// # Safety
///
/// Called by the driver core once, with a dax region device of ours.
unsafe extern "C" fn dax_region_release(dev: *mut bindings::device) {
    // SAFETY: The device is of our dax region type; its types are read before it goes.
    let types = unsafe { DeviceTypes::of_dax_region(dev) };
    // SAFETY: `dev` is embedded in a dax region allocated by `Region::add_dax_region`.
    unsafe { Region::release_dax_region(dev) };
    types.uncount();
}
