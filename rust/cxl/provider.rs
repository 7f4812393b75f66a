// SPDX-License-Identifier: GPL-2.0

//! The region provider: what `patches/0002` lets one module register with the CXL core in place
//! of the built-in region code.
//!
//! A [`Provider`] names the attribute groups of its region devices and of the decoders, and
//! implements what the core calls into. [`Registration`] owns, pinned, the `struct
//! cxl_region_provider` ops table (`extern "C"` trampolines monomorphised for the provider), the
//! lists of attribute groups of its region and extent devices, and the CXL bus notifier that adds
//! the decoder attributes. The device types of the provider's devices are the core's
//! (`patches/0016`): their release callbacks are built in and call the provider's release ops,
//! and unregistering waits (on a completion, in the core) until the last device is released.
//! Dropping the registration stops region creation, removes every region and unregisters: no
//! release callback can run module text after that, not even its last instruction.
//!
//! # Locking
//!
//! The core calls the ops inside an SRCU read section that unregistration waits for. The
//! decoder attributes are removed before the regions, which `sysfs_remove_group()` does only
//! once the writers in flight have returned: nothing creates a region after that.

use super::cxl_bindings as c;
use super::extent_dev::ExtentDev;
use super::region::{DaxRegionDev, Region, RegionDpaRead, RootDecoder};
use super::rwsem::CoreHeld;
use super::sysfs::Group;
use super::topology::{EndpointDecoder, Memdev, MemdevState, Port};
use super::work;
use super::Range;
use core::{any::TypeId, marker::PhantomData, ptr};
use kernel::{
    bindings,
    device::Device,
    error::to_result,
    ffi::{c_int, c_ulong, c_void},
    new_mutex,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Release},
    sync::{aref::ARef, Arc, Mutex},
    time::msecs_to_jiffies,
    types::Opaque,
    workqueue::{self, impl_has_delayed_work, new_delayed_work, DelayedWork, WorkItem}, //
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
    type Dc: Default + Send + Unpin + 'static;

    /// A record of a device's Dynamic Capacity event log (`record`, `extent::RECORD_LEN` bytes),
    /// from the device's event thread.
    fn dc_event(dc: &Mutex<Self::Dc>, mds: &MemdevState, record: &[u8]);

    /// No more Dynamic Capacity events will come: end what is in flight (open chains); the
    /// provider's [`DcTimer`] is cancelled afterwards. The state stays reachable through
    /// [`dc_state`] until this returns.
    fn dc_shutdown(dc: &Mutex<Self::Dc>);

    /// The provider's [`DcTimer`] ran; returns in how many ms it is to run again, if at all.
    fn dc_timer(dc: &Mutex<Self::Dc>) -> Option<u64>;

    /// Where the state keeps its [`DcTimer`] (armed by [`DcTimer::arm`], cancelled at
    /// unregistration).
    fn dc_timer_slot(dc: &mut Self::Dc) -> &mut Option<Arc<DcTimer<Self>>>
    where
        Self: Sized;

    /// The memdev `md` lost its device state (`cxl_memdev_unregister()`, after its events
    /// stopped): what the state keeps of it goes.
    fn dc_memdev_gone(dc: &Mutex<Self::Dc>, md: &Memdev);

    /// `cxl_get_poison_by_endpoint()`: reads the poison list of the memdev of endpoint port
    /// `port`, which has committed decoders, attributing each record to its region.
    fn poison_by_endpoint(port: &Port, held: &CoreHeld) -> Result;

    /// `cxl_dpa_to_region()`: the region whose endpoint decoder on `md` maps `dpa`.
    fn dpa_to_region<'a>(md: &'a Memdev, dpa: u64, held: &'a CoreHeld) -> Option<&'a Region>;

    /// `cxl_dpa_to_hpa()`: the host physical address of `dpa` of `md` in region `r`.
    fn dpa_to_hpa(r: &Region, md: &Memdev, dpa: u64, held: &CoreHeld) -> Option<u64>;

    /// A write of `offset` to the region's debugfs `inject_poison` (or `clear_poison` if
    /// `clear`), with both semaphores held (`cxl_region_debugfs_poison_inject()`).
    fn region_poison(r: &Region, offset: u64, clear: bool, held: &RegionDpaRead) -> Result;

    /// `cxl_add_to_region()`: assemble (or join) the region of `cxled`, an endpoint decoder that
    /// platform firmware committed, from its endpoint port's probe (device lock held).
    fn add_to_region(cxled: &EndpointDecoder) -> Result;

    /// The ops are registered, before the decoders get the provider's attributes: assemble
    /// what the endpoints that probed before found committed (nothing else will).
    fn registered();

    /// `cxl_region_contains_resource()`: whether a committed region's HPA holds `range` whole
    /// (`dax_hmem` leaves such a Soft Reserved range to CXL).
    fn contains_resource(range: Range) -> bool;

    /// `cxl_memdev_attach_region()`, from `cxl_mem`'s probe of a memdev with an attach method,
    /// with its endpoint's device lock held: the region the memdev adopts, referenced, and its
    /// HPA range. The core unregisters it with the endpoint ([`Self::unregister_region`]).
    fn memdev_attach_region(md: &Memdev) -> Result<(ARef<Region>, Range)>;

    /// `endpoint_unregister_region()`: the endpoint of a memdev that adopted `r` goes; `r` is
    /// unregistered if it still is.
    fn unregister_region(r: &Region);
}

/// Set while the registration is being dropped: no region may be assembled any more (one made
/// after the regions were removed would never be, and unregistering would wait for it forever).
static CLOSING: Atomic<bool> = Atomic::new(false);

/// Whether the provider is going away (see [`CLOSING`]); read under a root decoder's
/// `regions_lock`, which the removal of its regions takes after setting it.
pub(crate) fn closing() -> bool {
    CLOSING.load(Acquire)
}

/// The most groups a provider's region devices have.
const MAX_GROUPS: usize = 6;

/// A registered region provider.
///
/// # Invariants
///
/// While `registered`, `ops` is registered with the core, `nb` with the CXL bus, and the decoders
/// carry `P`'s groups. `region_groups` and `extent_groups` are NULL-terminated lists of `P`'s
/// groups, which `ops` points at.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<P: Provider> {
    #[pin]
    ops: Opaque<c::cxl_region_provider>,
    #[pin]
    nb: Opaque<bindings::notifier_block>,
    #[pin]
    region_groups: Opaque<[*const bindings::attribute_group; MAX_GROUPS + 1]>,
    #[pin]
    extent_groups: Opaque<[*const bindings::attribute_group; 2]>,
    #[pin]
    dc: DcSlot<P::Dc>,
    registered: bool,
    _p: PhantomData<P>,
}

/// The Dynamic Capacity state of a registration, after the `TypeId` of its type, as
/// `rust/kernel/auxiliary.rs` keeps its registration data: [`dc_state`] checks the type before it
/// casts.
#[repr(C)]
#[pin_data]
struct DcSlot<D> {
    type_id: TypeId,
    #[pin]
    dc: Mutex<D>,
}

// SAFETY: The C structures are only changed before registration and after unregistration; the
// registration can be dropped from any task.
unsafe impl<P: Provider> Send for Registration<P> {}
// SAFETY: `&Registration` offers nothing but the mutex of the DC state.
unsafe impl<P: Provider> Sync for Registration<P> {}

impl<P: Provider> Registration<P> {
    /// Registers `P` with the core and adds its attributes to every decoder, present and future.
    /// `module` is held while a memdev holds one of its regions (`memdev_attach_region`).
    pub(crate) fn new(module: &'static ThisModule) -> Result<Pin<KBox<Self>>> {
        if P::REGION_GROUPS.len() > MAX_GROUPS {
            return Err(EINVAL);
        }
        let mut reg = KBox::pin_init(
            pin_init!(Self {
                ops <- Opaque::zeroed(),
                nb <- Opaque::zeroed(),
                region_groups <- Opaque::zeroed(),
                extent_groups <- Opaque::zeroed(),
                dc <- pin_init!(DcSlot {
                    type_id: TypeId::of::<P::Dc>(),
                    dc <- new_mutex!(P::Dc::default(), "Registration::dc"),
                }),
                registered: false,
                _p: PhantomData,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: Nothing is registered yet: the fields may be written. The structure is pinned,
        // so the pointers taken here stay valid until it is dropped; the groups are statics.
        unsafe {
            // INVARIANT: Zeroed above, so the lists end with NULL after the groups.
            let groups = reg
                .region_groups
                .get()
                .cast::<*const bindings::attribute_group>();
            for (i, g) in P::REGION_GROUPS.iter().enumerate() {
                *groups.add(i) = g.as_raw();
            }
            let extent_groups = reg
                .extent_groups
                .get()
                .cast::<*const bindings::attribute_group>();
            *extent_groups = P::EXTENT_GROUP.as_raw();
            let ops = reg.ops.get();
            (*ops).region_groups = groups.cast_mut();
            (*ops).extent_groups = extent_groups.cast_mut();
            (*ops).free_region = Some(region_release);
            (*ops).free_dax_region = Some(dax_region_release);
            (*ops).free_extent = Some(ExtentDev::release);
            (*ops).decoder_detach = Some(decoder_detach::<P>);
            (*ops).kill_regions = Some(kill_regions::<P>);
            (*ops).dc_event = Some(dc_event::<P>);
            (*ops).memdev_shutdown = Some(memdev_shutdown::<P>);
            (*ops).get_poison_by_endpoint = Some(get_poison_by_endpoint::<P>);
            (*ops).dpa_to_region = Some(dpa_to_region::<P>);
            (*ops).dpa_to_hpa = Some(dpa_to_hpa::<P>);
            (*ops).add_to_region = Some(add_to_region::<P>);
            (*ops).contains_resource = Some(contains_resource::<P>);
            (*ops).memdev_attach_region = Some(memdev_attach_region::<P>);
            (*ops).unregister_region = Some(unregister_region::<P>);
            (*ops).owner = module.as_ptr().cast();
            (*reg.nb.get()).notifier_call = Some(bus_notify::<P>);
        }
        CLOSING.store(false, Release);
        DC.store(ptr::from_ref(&reg.dc) as usize, Release);
        let f: fn(*mut c::cxl_region, u64, bool) -> c_int = region_poison::<P>;
        REGION_POISON.store(f as usize, Release);
        // SAFETY: `ops` is a complete ops table that stays pinned until unregistered in `drop`.
        if let Err(e) = to_result(unsafe { c::cxl_region_provider_register(reg.ops.get()) }) {
            DC.store(0, Release);
            return Err(e);
        }
        // SAFETY: `nb` is initialized and stays pinned until unregistered in `drop`.
        let rc = to_result(unsafe { bindings::bus_register_notifier(bus(), reg.nb.get()) });
        if let Err(e) = rc {
            // SAFETY: Registered just above; no region exists yet.
            unsafe { c::cxl_region_provider_unregister(reg.ops.get()) };
            DC.store(0, Release);
            return Err(e);
        }
        // Before users can allocate HPA: the windows' committed ranges are taken first.
        P::registered();
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

/// The address of the pinned [`DcSlot`] of the live registration, 0 without one. Set before the
/// ops are registered, cleared after they are unregistered, which waits for the calls in flight
/// and for the release of every device of the provider (`patches/0016`).
static DC: Atomic<usize> = Atomic::new(0);

mod private {
    pub(crate) trait Sealed {}
}

/// An object whose life proves that the provider's registration, and so its Dynamic Capacity
/// state, is live: a device the provider made. Unregistering waits until each of them has been
/// released, and the state goes only after that.
pub(crate) trait Live: private::Sealed {}

impl private::Sealed for Region {}
impl Live for Region {}
impl private::Sealed for DaxRegionDev {}
impl Live for DaxRegionDev {}

/// The Dynamic Capacity state of the registered provider, if there is one and `P` is it; it
/// stays valid while `_live` does.
pub(crate) fn dc_state<P: Provider>(_live: &impl Live) -> Option<&Mutex<P::Dc>> {
    dc_current::<P>()
}

/// The Dynamic Capacity state of the registered provider, if there is one and `P` is it, for the
/// callers that unregistration waits for (the ops, the [`DcTimer`]).
fn dc_current<'a, P: Provider>() -> Option<&'a Mutex<P::Dc>> {
    let p = DC.load(Acquire) as *const DcSlot<P::Dc>;
    if p.is_null() {
        return None;
    }
    // SAFETY: A non-zero value is the address of the pinned `DcSlot` of the live registration,
    // whose `TypeId` comes first (`repr(C)`) and is read as one before the slot is taken for a
    // `DcSlot<P::Dc>`; the registration outlives the callers (see `DC`).
    unsafe {
        if p.cast::<TypeId>().read() != TypeId::of::<P::Dc>() {
            return None;
        }
        Some(&(*p).dc)
    }
}

/// The Dynamic Capacity timer of provider `P`: a delayed work item that calls
/// [`Provider::dc_timer`] with the state, and runs again when that asks. The registration cancels
/// it, once no more events can come and before the state goes.
#[pin_data]
pub(crate) struct DcTimer<P: Provider> {
    #[pin]
    work: DelayedWork<DcTimer<P>>,
    _p: PhantomData<fn() -> P>,
}

impl_has_delayed_work! {
    impl{P: Provider} HasDelayedWork<Self> for DcTimer<P> { self.work }
}

impl<P: Provider> WorkItem for DcTimer<P> {
    type Pointer = Arc<DcTimer<P>>;

    fn run(this: Arc<DcTimer<P>>) {
        let Some(dc) = dc_current::<P>() else {
            return;
        };
        if let Some(ms) = P::dc_timer(dc) {
            // Fails only while the registration cancels the timer.
            let _ = workqueue::system().enqueue_delayed(this, msecs_to_jiffies(ms as u32));
        }
    }
}

impl<P: Provider> DcTimer<P> {
    /// Arms the timer in `slot` to run in `ms`, made the first time. A timer already pending keeps
    /// its time (the provider arms it for short periods). Without memory for it nothing is
    /// armed: what it would do happens at the next event.
    pub(crate) fn arm(slot: &mut Option<Arc<DcTimer<P>>>, ms: u64) {
        if slot.is_none() {
            let t = Arc::pin_init(
                pin_init!(DcTimer {
                    work <- new_delayed_work!("cxl_region::DcTimer"),
                    _p: PhantomData,
                }),
                GFP_KERNEL,
            );
            *slot = t.ok();
        }
        if let Some(t) = slot {
            let _ = workqueue::system().enqueue_delayed(t.clone(), msecs_to_jiffies(ms as u32));
        }
    }
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
    let Some(dc) = dc_current::<P>() else {
        return;
    };
    // SAFETY: `rec` points to a whole record (`RECORD_LEN` bytes, asserted above), live for the
    // call and not written meanwhile (the event log lock is held).
    let record =
        unsafe { core::slice::from_raw_parts(rec.cast::<u8>(), super::extent::RECORD_LEN) };
    P::dc_event(dc, mds, record);
}

/// `cxl_add_to_region()`.
///
/// # Safety
///
/// Called by the core, while the ops are registered, with a live endpoint decoder of an endpoint
/// port being probed (its device lock held).
unsafe extern "C" fn add_to_region<P: Provider>(cxled: *mut c::cxl_endpoint_decoder) -> c_int {
    // SAFETY: Per the function's contract; the decoder stays registered during its port's probe.
    let cxled = unsafe { EndpointDecoder::from_raw(cxled) };
    match P::add_to_region(cxled) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `cxl_memdev_attach_region()`: 0 with the region, referenced, in `*cxlr` and its HPA range in
/// `*hpa`, or a negative errno.
///
/// # Safety
///
/// Called by the core with a live memdev whose endpoint's device lock it holds, and places for
/// the two results.
unsafe extern "C" fn memdev_attach_region<P: Provider>(
    cxlmd: *mut c::cxl_memdev,
    cxlr: *mut *mut c::cxl_region,
    hpa: *mut bindings::range,
) -> c_int {
    // SAFETY: The core passes a live memdev.
    match P::memdev_attach_region(unsafe { Memdev::from_raw(cxlmd) }) {
        Ok((r, range)) => {
            // SAFETY: The core passes places for both; the reference is handed over to it.
            unsafe {
                *hpa = bindings::range {
                    start: range.start,
                    end: range.end,
                };
                *cxlr = ARef::into_raw(r).as_ptr().cast();
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// `endpoint_unregister_region()`.
///
/// # Safety
///
/// Called by the core with a region `memdev_attach_region` returned, which it holds.
unsafe extern "C" fn unregister_region<P: Provider>(cxlr: *mut c::cxl_region) {
    // SAFETY: The core passes one of our regions, referenced.
    P::unregister_region(unsafe { Region::from_raw(cxlr) });
}

/// `cxl_region_contains_resource()`.
///
/// # Safety
///
/// Called by the core, while the ops are registered, with a live resource.
unsafe extern "C" fn contains_resource<P: Provider>(res: *const bindings::resource) -> bool {
    // SAFETY: The core passes a live resource, not written during the call.
    let range = unsafe {
        Range {
            start: (*res).start,
            end: (*res).end,
        }
    };
    P::contains_resource(range)
}

/// `cxl_region_memdev_shutdown()`: a memdev lost its device state.
///
/// # Safety
///
/// Called by the core, while the ops are registered, with a live memdev.
unsafe extern "C" fn memdev_shutdown<P: Provider>(cxlmd: *mut c::cxl_memdev) {
    // SAFETY: The core passes a live memdev; its device is embedded as `dev`.
    let md = unsafe { Memdev::from_dev((&raw mut (*cxlmd).dev).cast()) };
    if let Some(dc) = dc_current::<P>() {
        P::dc_memdev_gone(dc, md);
    }
}

#[pinned_drop]
impl<P: Provider> PinnedDrop for Registration<P> {
    fn drop(self: Pin<&mut Self>) {
        if !self.registered {
            return;
        }
        // No new decorated decoders, no attributes (and so no region creation), no assembly,
        // then no regions, then no calls from the core.
        CLOSING.store(true, Release);
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
            // Waits for the calls in flight, then until the last of our devices is released
            // (another kernel user may hold one): the core owns their types and release
            // callbacks, which call ours before they count the device out.
            c::cxl_region_provider_unregister(self.ops.get());
        }
        // No more Dynamic Capacity events (unregistering waited for those in flight).
        P::dc_shutdown(&self.dc.dc);
        let timer = P::dc_timer_slot(&mut self.dc.dc.lock()).take();
        if let Some(t) = timer {
            work::cancel_delayed_sync(&t);
        }
        DC.store(0, Release);
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

/// The provider's `region_poison`, monomorphised ([`region_poison`]), for the C write callback of
/// the region debugfs files, which cannot be generic; 0 before registration.
static REGION_POISON: Atomic<usize> = Atomic::new(0);

/// Takes the semaphores and calls `P::region_poison`.
fn region_poison<P: Provider>(cxlr: *mut c::cxl_region, offset: u64, clear: bool) -> c_int {
    let held = match RegionDpaRead::lock_interruptible() {
        Ok(held) => held,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `rcxl_region_poison_write` passes a region of ours whose files are open.
    let r = unsafe { Region::from_raw(cxlr) };
    match P::region_poison(r, offset, clear, &held) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The write of a region's debugfs `inject_poison` or `clear_poison` (`rust/cxl_region/glue.c`).
/// The files exist only while the region is bound to the provider's driver, so the provider is
/// registered and `REGION_POISON` set; removing them waits for the writes in flight.
#[no_mangle]
extern "C" fn rcxl_region_poison_write(cxlr: *mut c_void, offset: u64, clear: bool) -> c_int {
    let f = REGION_POISON.load(Acquire);
    if f == 0 {
        return ENXIO.to_errno();
    }
    // SAFETY: A non-zero `REGION_POISON` is a `region_poison::<P>` stored at registration.
    let f: fn(*mut c::cxl_region, u64, bool) -> c_int = unsafe { core::mem::transmute(f) };
    f(cxlr.cast(), offset, clear)
}

/// `cxl_get_poison_by_endpoint()`, from `cxl_trigger_poison_list()`.
///
/// # Safety
///
/// Called by the core with a live endpoint port, holding `cxl_rwsem.region` and `cxl_rwsem.dpa`
/// for reading.
unsafe extern "C" fn get_poison_by_endpoint<P: Provider>(port: *mut c::cxl_port) -> c_int {
    // SAFETY: The core holds both semaphores for reading for the call.
    let held = unsafe { CoreHeld::new() };
    // SAFETY: The core passes a live endpoint port.
    match P::poison_by_endpoint(unsafe { Port::from_raw(port) }, &held) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `cxl_dpa_to_region()`, from the poison and event record paths.
///
/// # Safety
///
/// Called by the core with a live memdev, holding `cxl_rwsem.region` and `cxl_rwsem.dpa` for
/// reading (the region returned is used under them).
unsafe extern "C" fn dpa_to_region<P: Provider>(
    cxlmd: *const c::cxl_memdev,
    dpa: u64,
) -> *mut c::cxl_region {
    // SAFETY: The core holds both semaphores for reading for the call.
    let held = unsafe { CoreHeld::new() };
    // SAFETY: The core passes a live memdev.
    let md = unsafe { Memdev::from_raw(cxlmd) };
    P::dpa_to_region(md, dpa, &held).map_or(ptr::null_mut(), |r| r.as_raw())
}

/// `cxl_dpa_to_hpa()`: `ULLONG_MAX` when `dpa` has no HPA in the region.
///
/// # Safety
///
/// Called by the core with a region of ours (one `dpa_to_region` returned under the same locks)
/// and a live memdev, holding `cxl_rwsem.region` and `cxl_rwsem.dpa` for reading.
unsafe extern "C" fn dpa_to_hpa<P: Provider>(
    cxlr: *mut c::cxl_region,
    cxlmd: *const c::cxl_memdev,
    dpa: u64,
) -> u64 {
    // SAFETY: The core holds both semaphores for reading for the call.
    let held = unsafe { CoreHeld::new() };
    // SAFETY: The core passes one of our regions and a live memdev, both live for the call.
    let (r, md) = unsafe { (Region::from_raw(cxlr), Memdev::from_raw(cxlmd)) };
    P::dpa_to_hpa(r, md, dpa, &held).unwrap_or(u64::MAX)
}

/// `cxl_region_release()`: the last reference to a region device is gone (called by the core's
/// release callback, which then counts the device out).
///
/// # Safety
///
/// Called by the core once, with a region device of ours.
unsafe extern "C" fn region_release(dev: *mut bindings::device) {
    // SAFETY: `dev` is embedded in a region allocated by `Region::alloc`, released once.
    unsafe { Region::release(dev) };
}

/// The release of a `cxl_dax_region` device (called by the core's release callback).
///
/// # Safety
///
/// Called by the core once, with a dax region device of ours.
unsafe extern "C" fn dax_region_release(dev: *mut bindings::device) {
    // SAFETY: `dev` is embedded in a dax region allocated by `Region::add_dax_region`.
    unsafe { Region::release_dax_region(dev) };
}
