// SPDX-License-Identifier: GPL-2.0

//! Regions for a region provider ([`super::provider`]): `cxl_rwsem.region`, root decoders and
//! their region list, region devices and their `cxl_dax_region` children.
//!
//! # Locking
//!
//! As in `drivers/cxl/core/region.c`: a root decoder's `regions_lock` (mutex) guards its region
//! list, its `dead` flag and region creation; `cxl_rwsem.region` guards every region's parameters
//! (`struct cxl_region_params`) and decoder programming. The order is `regions_lock`, then
//! `cxl_rwsem.region`, then `cxl_rwsem.dpa`. [`RegionsGuard`], [`RegionRead`] and [`RegionWrite`]
//! are the proofs the accessors ask for.

use super::provider::Provider;
use super::rwsem::{Held, ReadGuard, StaticRwSem, WriteGuard};
use super::topology::{DpaRead, DpaSem, Dport, EndpointDecoder, Port};
use super::{as_raw, cxl_bindings as c, driver::RegionDevice, flags, glue, sysfs, Range};
use core::{
    marker::PhantomData,
    ptr::{self, NonNull},
};
use kernel::{
    bindings,
    device,
    error::{from_err_ptr, to_result},
    ffi::c_int,
    prelude::*,
    str::CStr,
    sync::aref::{ARef, AlwaysRefCounted},
    sync::atomic::{Atomic, Full, Relaxed},
    types::Opaque, //
};

/// Interleave ways and granularity (in bytes) of a region or a decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Interleave {
    /// Number of ways (0 while unset).
    pub(crate) ways: i32,
    /// Granularity in bytes (0 while unset).
    pub(crate) granularity: i32,
}

/// One of the four access coordinates of a region (`struct access_coordinate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coordinate {
    /// MB/s.
    ReadBandwidth,
    /// MB/s.
    WriteBandwidth,
    /// ns.
    ReadLatency,
    /// ns.
    WriteLatency,
}

/// `cxl_rwsem.region`: every region's parameters and decoder programming.
pub(crate) struct RegionSem;

// SAFETY: `cxl_rwsem` is a static of the CXL core, initialized at build time and exported to
// providers.
unsafe impl StaticRwSem for RegionSem {
    type Outer = ();

    fn get() -> *mut bindings::rw_semaphore {
        // SAFETY: Only the address of the field of the static is taken.
        unsafe { &raw mut c::cxl_rwsem.region }
    }
}

/// `cxl_rwsem.region` held for reading.
pub(crate) type RegionRead = ReadGuard<RegionSem>;
/// `cxl_rwsem.region` held for writing.
pub(crate) type RegionWrite = WriteGuard<RegionSem>;

/// Either guard of `cxl_rwsem.region`: enough to read region parameters.
pub(crate) trait RegionLocked: Held<RegionSem> {}
impl<T: Held<RegionSem>> RegionLocked for T {}

/// `cxl_rwsem.region` and then `cxl_rwsem.dpa`, both held for reading (taken interruptibly by
/// the poison paths: their two `ACQUIRE(rwsem_read_intr, ..)`).
pub(crate) struct RegionDpaRead {
    // Fields drop in order: the inner semaphore first.
    _dpa: DpaRead,
    _region: RegionRead,
}

impl RegionDpaRead {
    /// Takes both whatever signals are pending.
    pub(crate) fn lock() -> Self {
        let region = RegionRead::lock();
        Self {
            _dpa: DpaRead::lock_inside(&region),
            _region: region,
        }
    }

    /// Takes both, `-EINTR` if a signal arrives first.
    pub(crate) fn lock_interruptible() -> Result<Self> {
        let region = RegionRead::lock_interruptible()?;
        let dpa = DpaRead::lock_interruptible_after(&region)?;
        Ok(Self {
            _dpa: dpa,
            _region: region,
        })
    }
}

impl Held<RegionSem> for RegionDpaRead {}
impl Held<DpaSem> for RegionDpaRead {}

/// A root decoder (`struct cxl_root_decoder`).
///
/// # Invariants
///
/// A `&RootDecoder` refers to a live root decoder: its constructors take it from the core (ops
/// calls, bus walks, attribute callbacks, a region's pinned parent), which keeps it registered for
/// the borrow.
#[repr(transparent)]
pub(crate) struct RootDecoder(Opaque<c::cxl_root_decoder>);

// SAFETY: Root decoder attributes are only put on root decoders, which embed their device.
unsafe impl sysfs::Object for RootDecoder {
    unsafe fn from_dev<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: Per the trait's contract, `dev` is a live root decoder for `'a`.
        unsafe { Self::from_dev(dev) }
    }
}

impl RootDecoder {
    /// # Safety
    ///
    /// `p` points to a live root decoder that outlives `'a`.
    pub(crate) unsafe fn from_raw<'a>(p: *mut c::cxl_root_decoder) -> &'a Self {
        // SAFETY: `Self` is transparent over the C structure; the caller guarantees liveness.
        unsafe { &*p.cast() }
    }

    /// # Safety
    ///
    /// `dev` is the device of a live root decoder that outlives `'a`.
    pub(crate) unsafe fn from_dev<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: Per the function's contract.
        unsafe { Self::from_raw(c::to_cxl_root_decoder(dev)) }
    }

    fn raw(&self) -> *mut c::cxl_root_decoder {
        self.0.get()
    }

    fn decoder(&self) -> *mut c::cxl_decoder {
        // SAFETY: `self` is a live root decoder.
        unsafe { &raw mut (*self.raw()).cxlsd.cxld }
    }

    /// The decoder's `CXL_DECODER_F_*` flags (set at enumeration, constant afterwards).
    pub(crate) fn flags(&self) -> usize {
        // SAFETY: `self` is live; the flags do not change after the decoder is added.
        unsafe { (*self.decoder()).flags }
    }

    /// Whether `attr` is visible here (`cxl_root_decoder_visible()`).
    pub(crate) fn attr_visible(&self, attr: flags::RootAttr) -> bool {
        flags::root_attr_visible(self.flags(), attr)
    }

    /// The root's interleave (constant: it comes from the CFMWS).
    pub(crate) fn interleave(&self) -> Interleave {
        // SAFETY: `self` is live; root interleave settings do not change.
        unsafe {
            Interleave {
                ways: (*self.decoder()).interleave_ways,
                granularity: (*self.decoder()).interleave_granularity,
            }
        }
    }

    /// The root decoder's HPA to SPA translation (`cxlrd->ops.hpa_to_spa`, set by the platform
    /// driver at enumeration: XOR interleave arithmetic), `None` when it has none (HPA and SPA
    /// are the same); the translation's `ULLONG_MAX` is an error.
    pub(crate) fn hpa_to_spa(&self, hpa: u64) -> Option<u64> {
        // SAFETY: `self` is live; the ops are set before the root decoder is added.
        let op = unsafe { (*self.raw()).ops.hpa_to_spa }?;
        // SAFETY: The platform's callback, for its own root decoder.
        Some(unsafe { op(self.raw(), hpa) })
    }

    /// The root decoder's SPA to HPA translation (`cxlrd->ops.spa_to_hpa`), `None` when it has
    /// none; the translation's `ULLONG_MAX` is an error.
    pub(crate) fn spa_to_hpa(&self, spa: u64) -> Option<u64> {
        // SAFETY: `self` is live; the ops are set before the root decoder is added.
        let op = unsafe { (*self.raw()).ops.spa_to_hpa }?;
        // SAFETY: The platform's callback, for its own root decoder.
        Some(unsafe { op(self.raw(), spa) })
    }

    /// The root port (`cxlrd_to_port()`).
    pub(crate) fn port(&self) -> &Port {
        // SAFETY: A root decoder's parent is the CXL root port, which outlives it.
        unsafe { Port::from_dev((*self.decoder()).dev.parent) }
    }

    /// Target `i` of the root decoder: the host bridge dport at interleave position `i`.
    pub(crate) fn target(&self, i: usize) -> Option<&Dport> {
        // SAFETY: The root decoder is live; its target list is set at enumeration.
        unsafe {
            let sd = &raw mut (*self.raw()).cxlsd;
            if i >= (*sd).nr_targets as usize {
                return None;
            }
            Dport::from_raw(*(*sd).target.as_ptr().add(i))
        }
    }

    /// The next region id offered by `create_*_region` (`cxlrd->region_id`).
    pub(crate) fn region_id(&self) -> &Atomic<i32> {
        // SAFETY: `region_id` is an `atomic_t` (an `int` accessed atomically) that lives as long as
        // `self`.
        unsafe { Atomic::from_ptr(&raw mut (*self.raw()).region_id.counter) }
    }

    fn regions_lock(&self) -> *mut bindings::mutex {
        // SAFETY: `self` is live; only the address of the field is taken.
        unsafe { (&raw mut (*self.raw()).regions_lock).cast() }
    }

    /// Takes `regions_lock` (`ACQUIRE(mutex_intr, ..)`); `-EINTR` on a signal.
    pub(crate) fn lock_regions(&self) -> Result<RegionsGuard<'_>> {
        // SAFETY: The mutex was initialized with the root decoder, which is live.
        to_result(unsafe { glue::rcxl_mutex_lock_interruptible(self.regions_lock()) })?;
        // INVARIANT: The lock was taken by this task.
        Ok(RegionsGuard {
            rd: self,
            _not_send: PhantomData,
        })
    }

    /// The window's HPA range (`cxlrd->cxlsd.cxld.hpa_range`, constant).
    pub(crate) fn hpa_range(&self) -> Range {
        // SAFETY: `self` is live; a root decoder's range is set before it is added.
        let r = unsafe { (*self.decoder()).hpa_range };
        Range {
            start: r.start,
            end: r.end,
        }
    }

    /// The size of the extended linear cache in front of the window's CXL memory
    /// (`cxlrd->cache_size`, set by the platform driver before the decoder is added), 0 without.
    pub(crate) fn cache_size(&self) -> u64 {
        // SAFETY: `self` is live; constant after the decoder is added.
        unsafe { (*self.raw()).cache_size }
    }

    /// The start of the window's resource (`cxlrd->res->start`, constant).
    pub(crate) fn window_start(&self) -> u64 {
        // SAFETY: `self` is live; the window resource lives as long as the root decoder.
        unsafe { (*(*self.raw()).res).start }
    }

    /// Takes `regions_lock` without giving way to signals (module exit, root decoder teardown,
    /// region assembly).
    pub(crate) fn lock_regions_uninterruptible(&self) -> RegionsGuard<'_> {
        // SAFETY: As in `lock_regions`.
        unsafe { bindings::mutex_lock(self.regions_lock()) };
        // INVARIANT: The lock was taken by this task.
        RegionsGuard {
            rd: self,
            _not_send: PhantomData,
        }
    }
}

// SAFETY: A root decoder is counted by its device's reference count.
unsafe impl AlwaysRefCounted for RootDecoder {
    fn inc_ref(&self) {
        // SAFETY: The root decoder is live, so its device has a non-zero count.
        unsafe { bindings::get_device(&raw mut (*self.decoder()).dev) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a count on the live root decoder.
        unsafe { bindings::put_device(&raw mut (*obj.as_ref().decoder()).dev) };
    }
}

/// `regions_lock` of a root decoder, held.
///
/// # Invariants
///
/// The task that created the guard holds `rd`'s `regions_lock` until the guard drops; the guard
/// cannot move to another task.
pub(crate) struct RegionsGuard<'a> {
    rd: &'a RootDecoder,
    _not_send: PhantomData<*mut ()>,
}

impl Drop for RegionsGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants this task holds the mutex.
        unsafe { bindings::mutex_unlock(self.rd.regions_lock()) };
    }
}

impl<'a> RegionsGuard<'a> {
    fn regions(&self) -> *mut bindings::xarray {
        // SAFETY: The root decoder is live.
        unsafe { (&raw mut (*self.rd.raw()).regions).cast() }
    }

    /// Whether the root decoder is going away (`cxlrd->dead`).
    pub(crate) fn is_dead(&self) -> bool {
        // SAFETY: `dead` is guarded by `regions_lock`, which is held.
        unsafe { (*self.rd.raw()).dead }
    }

    fn set_dead(&mut self) {
        // SAFETY: As above; writing is allowed under the lock.
        unsafe { (*self.rd.raw()).dead = true };
    }

    /// The region with id `id`, if registered here. It stays registered while the guard lives.
    pub(crate) fn get(&self, id: i32) -> Option<&Region> {
        let index = usize::try_from(id).ok()?;
        // SAFETY: The xarray is initialized; entries are regions, removed only under the lock.
        let p = unsafe { bindings::xa_load(self.regions(), index) };
        // SAFETY: A registered region is live until `unregister` removes it under this lock.
        (!p.is_null()).then(|| unsafe { Region::from_raw(p.cast()) })
    }

    /// The first registered region, in id order, for which `f` is true
    /// (`device_find_child()` over the root decoder's regions: the same set, added and removed
    /// under this lock).
    pub(crate) fn find(&self, mut f: impl FnMut(&Region) -> bool) -> Option<&Region> {
        let mut index: usize = 0;
        loop {
            // SAFETY: As in `get`; `xa_find` only reads the array.
            let p = unsafe {
                bindings::xa_find(self.regions(), &mut index, usize::MAX, bindings::XA_PRESENT)
            };
            if p.is_null() {
                return None;
            }
            // SAFETY: As in `get`.
            let r = unsafe { Region::from_raw(p.cast()) };
            if f(r) {
                return Some(r);
            }
            index = index.checked_add(1)?;
        }
    }

    /// The registered region with the lowest id.
    pub(crate) fn first(&self) -> Option<&Region> {
        let mut index: usize = 0;
        // SAFETY: As in `get`; `xa_find` only reads the array.
        let p = unsafe {
            bindings::xa_find(self.regions(), &mut index, usize::MAX, bindings::XA_PRESENT)
        };
        // SAFETY: As in `get`.
        (!p.is_null()).then(|| unsafe { Region::from_raw(p.cast()) })
    }

    /// Creates and registers `region<id>` (`devm_cxl_add_region()`) for memory of `target_type`
    /// ([`HOSTONLYMEM`] for regions created through sysfs); `id` was reserved with
    /// [`memregion_alloc`] and is given back on failure.
    pub(crate) fn add_region(
        &mut self,
        id: i32,
        mode: PartMode,
        target_type: u32,
    ) -> Result<&Region> {
        // `cxl_region_alloc()`: the region is ours from here, freed by its release callback.
        let b = match KBox::init(pin_init::init_zeroed::<Opaque<c::cxl_region>>(), GFP_KERNEL) {
            Ok(b) => b,
            Err(e) => {
                memregion_free(id);
                return Err(e);
            }
        };
        let p = KBox::into_raw(b).cast::<c::cxl_region>();
        // SAFETY: `p` is a new, zeroed region that nothing else sees yet: freed here if the core
        // does not initialize its device, else by its release callback (the core's, which calls
        // `Region::release`: the id goes back, the root decoder is unpinned). The root decoder is
        // live; it is pinned until the release.
        let region = unsafe {
            let dev = &raw mut (*p).dev;
            let rc =
                c::cxl_provider_device_initialize(dev, c::cxl_provider_dev_CXL_PROVIDER_REGION);
            if rc != 0 {
                drop(KBox::from_raw(p.cast::<Opaque<c::cxl_region>>()));
                memregion_free(id);
                return Err(Error::from_errno(rc));
            }
            (*dev).parent = &raw mut (*self.rd.decoder()).dev;
            bindings::get_device((*dev).parent);
            (*dev).bus = (&raw const c::cxl_bus_type).cast_mut().cast();
            (*p).cxlrd = self.rd.raw();
            (*p).id = id;
            (*p).mode = mode as c::cxl_partition_mode;
            (*p).type_ = target_type;
            (*p).hpa_range = bindings::range {
                start: 0,
                end: u64::MAX,
            };
            // A region on a locked window is locked (`cxl_region_setup_flags()`).
            (*p).flags = flags::region_flags_with_decoder((*p).flags, self.rd.flags());
            Region::from_raw(p)
        };
        // SAFETY: The device is initialized; the format takes one int.
        let mut rc = unsafe { bindings::dev_set_name(region.dev(), c"region%d".as_char_ptr(), id) };
        if rc == 0 {
            // SAFETY: The device is initialized and named.
            rc = unsafe { bindings::device_add(region.dev()) };
        }
        if rc != 0 {
            // The release callback returns the id and drops the root decoder pin.
            // SAFETY: The initial reference is ours.
            unsafe { bindings::put_device(region.dev()) };
            return Err(Error::from_errno(rc));
        }
        // SAFETY: The xarray is initialized and `regions_lock` serializes its writers here.
        let old = unsafe {
            bindings::xa_store(self.regions(), id as usize, p.cast(), bindings::GFP_KERNEL)
        };
        // SAFETY: `xa_store` returns the old entry or an error entry.
        if let Err(e) = to_result(unsafe { bindings::xa_err(old) }) {
            // SAFETY: Added above, in no list; the initial reference is handed over and `region`
            // is not used after this.
            unsafe { Self::unregister_erased(p, |_| {}) };
            return Err(e);
        }
        Ok(region)
    }

    /// Unregisters the region with id `id`, if registered here (`unregister_region()`): out of
    /// the list, sysfs closed, then `detach` (which may take `cxl_rwsem.region`), then the HPA
    /// returned and the list's reference dropped. Returns whether there was such a region.
    pub(crate) fn unregister_id(&mut self, id: i32, detach: impl FnOnce(&Region)) -> bool {
        let Ok(index) = usize::try_from(id) else {
            return false;
        };
        // SAFETY: The xarray is initialized; its writers are serialized by `regions_lock`, held.
        let p = unsafe { bindings::xa_erase(self.regions(), index) };
        if p.is_null() {
            return false;
        }
        // SAFETY: The entry was a registered region, out of the list now; the list's reference
        // is handed over.
        unsafe { Self::unregister_erased(p.cast(), detach) };
        true
    }

    /// The part of `unregister_region()` after the region left the list.
    ///
    /// # Safety
    ///
    /// `p` is a region added by [`RegionsGuard::add_region`] and in no list; the caller hands
    /// over the reference the list held (the last one this function may use: the region may be
    /// freed when it returns), as `AlwaysRefCounted::dec_ref` takes one.
    unsafe fn unregister_erased(p: *mut c::cxl_region, detach: impl FnOnce(&Region)) {
        {
            // SAFETY: Per the function's contract the region is live until the reference is
            // dropped below, after the last use of `region`.
            let region = unsafe { Region::from_raw(p) };
            // SAFETY: The device was added. `device_del` waits for sysfs writers in flight.
            unsafe { bindings::device_del(region.dev()) };
            detach(region);
            // With sysfs closed the parameters are read-only; as in C, no lock is needed here.
            region.release_hpa_raw();
        }
        // SAFETY: Drops the reference handed over.
        unsafe { bindings::put_device(&raw mut (*p).dev) };
    }

    /// Removes every region; `dying` marks the root decoder dead first (`kill_regions()`).
    pub(crate) fn remove_all(&mut self, dying: bool, mut detach: impl FnMut(&Region)) {
        if dying {
            self.set_dead();
        }
        while let Some(id) = self.first().map(Region::id) {
            self.unregister_id(id, &mut detach);
        }
    }
}

/// `cxlr_pmem_unregister()`: the `pmem_regionZ` goes (a devres action of the nvdimm bridge, run
/// under the bridge's device lock, from its unbind or from [`release_nvdimm`]).
///
/// # Safety
///
/// `data` is a registered `pmem_regionZ` made by [`Region::add_pmem_region`], whose region is
/// live; the bridge's device lock is held.
unsafe extern "C" fn pmem_region_unregister(data: *mut kernel::ffi::c_void) {
    let p = data.cast::<c::cxl_pmem_region>();
    // SAFETY: Per the function's contract.
    unsafe {
        let cxlr = (*p).cxlr;
        (*cxlr).cxlr_pmem = ptr::null_mut();
        (*p).cxlr = ptr::null_mut();
        bindings::device_unregister(&raw mut (*p).dev);
    }
}

/// `cxlr_release_nvdimm()`: when the region unbinds, its `pmem_regionZ` goes (unless the
/// bridge's unbind took it first) and the bridge is no longer held.
///
/// # Safety
///
/// `data` is a live region of ours holding a reference to its bridge (`cxl_nvb`).
unsafe extern "C" fn release_nvdimm(data: *mut kernel::ffi::c_void) {
    let cxlr = data.cast::<c::cxl_region>();
    // SAFETY: Per the function's contract; `cxlr_pmem` is read and the action released under
    // the bridge's device lock, which its own unbind holds.
    unsafe {
        let nvb = (*cxlr).cxl_nvb;
        let nvb_dev = &raw mut (*nvb).dev;
        super::with_device_locked(nvb_dev, || {
            let p = (*cxlr).cxlr_pmem;
            if !p.is_null() {
                bindings::devm_release_action(nvb_dev, Some(pmem_region_unregister), p.cast());
            }
        });
        (*cxlr).cxl_nvb = ptr::null_mut();
        bindings::put_device(nvb_dev);
    }
}

/// The target type of host-only memory (`CXL_DECODER_HOSTONLYMEM`, type 3 devices).
pub(crate) const HOSTONLYMEM: u32 = c::cxl_decoder_type_CXL_DECODER_HOSTONLYMEM;

/// Each of the provider's regions on the CXL bus, in bus order, until `f` returns `true`
/// (`bus_for_each_dev()`, which holds a reference to the one it passes).
pub(crate) fn for_each_region<F: FnMut(&Region) -> bool>(mut f: F) {
    /// # Safety
    ///
    /// Called by `bus_for_each_dev()` with a referenced device of the CXL bus and the `F` below.
    unsafe extern "C" fn visit<F: FnMut(&Region) -> bool>(
        dev: *mut bindings::device,
        data: *mut kernel::ffi::c_void,
    ) -> i32 {
        // SAFETY: `dev` is live for the call; the core's region type is a constant.
        if unsafe { (*dev).type_ != c::cxl_provider_region_type() } {
            return 0;
        }
        // SAFETY: The core's region type is only given to the provider's regions, which embed
        // their device; `data` is the closure, borrowed mutably by the walk alone.
        unsafe {
            let r = Region::from_raw(kernel::container_of!(dev, c::cxl_region, dev));
            i32::from((*data.cast::<F>())(r))
        }
    }
    // SAFETY: The bus is registered; `visit` uses `f` during the walk only.
    unsafe {
        bindings::bus_for_each_dev(
            (&raw const c::cxl_bus_type).cast(),
            ptr::null_mut(),
            (&raw mut f).cast(),
            Some(visit::<F>),
        )
    };
}

/// A partition mode (`enum cxl_partition_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum PartMode {
    /// Volatile memory.
    Ram = c::cxl_partition_mode_CXL_PARTMODE_RAM,
    /// Persistent memory.
    Pmem = c::cxl_partition_mode_CXL_PARTMODE_PMEM,
    /// The first Dynamic Capacity region of a DCD: volatile memory the device adds in extents.
    DynamicRam1 = c::cxl_partition_mode_CXL_PARTMODE_DYNAMIC_RAM_1,
}

/// A region's configuration state (`enum cxl_config_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ConfigState {
    /// Nothing set up.
    Idle,
    /// HPA allocated.
    InterleaveActive,
    /// All targets attached.
    Active,
    /// Commit=0 in progress.
    ResetPending,
    /// Decoders committed.
    Commit,
}

impl ConfigState {
    fn from_raw(s: c::cxl_config_state) -> Self {
        match s {
            c::cxl_config_state_CXL_CONFIG_INTERLEAVE_ACTIVE => Self::InterleaveActive,
            c::cxl_config_state_CXL_CONFIG_ACTIVE => Self::Active,
            c::cxl_config_state_CXL_CONFIG_RESET_PENDING => Self::ResetPending,
            c::cxl_config_state_CXL_CONFIG_COMMIT => Self::Commit,
            _ => Self::Idle,
        }
    }

    fn to_raw(self) -> c::cxl_config_state {
        match self {
            Self::Idle => c::cxl_config_state_CXL_CONFIG_IDLE,
            Self::InterleaveActive => c::cxl_config_state_CXL_CONFIG_INTERLEAVE_ACTIVE,
            Self::Active => c::cxl_config_state_CXL_CONFIG_ACTIVE,
            Self::ResetPending => c::cxl_config_state_CXL_CONFIG_RESET_PENDING,
            Self::Commit => c::cxl_config_state_CXL_CONFIG_COMMIT,
        }
    }
}

/// A region device of ours (`struct cxl_region`).
///
/// # Invariants
///
/// A `&Region` refers to a live region made by [`RegionsGuard::add_region`]: kept allocated by a
/// device reference the borrow's source holds (the root decoder's list, an attribute callback, a
/// bound driver, a decoder assigned to it, an [`ARef`]). Its parameters are only read or written
/// with `cxl_rwsem.region` held, as the accessors' guard arguments show.
#[repr(transparent)]
pub(crate) struct Region(Opaque<c::cxl_region>);

// SAFETY: Region attributes are only put on region devices of ours, embedded in a region.
unsafe impl sysfs::Object for Region {
    unsafe fn from_dev<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: Per the trait's contract, `dev` is embedded in a live region of ours for `'a`.
        unsafe { Region::from_raw(kernel::container_of!(dev, c::cxl_region, dev)) }
    }
}

impl AsRef<kernel::device::Device> for Region {
    fn as_ref(&self) -> &kernel::device::Device {
        // SAFETY: `self` is a live region, so its device has a non-zero reference count for as
        // long as the borrow.
        unsafe { kernel::device::Device::from_raw(self.dev()) }
    }
}

impl Region {
    /// # Safety
    ///
    /// `p` points to a live region of ours that outlives `'a`.
    pub(crate) unsafe fn from_raw<'a>(p: *mut c::cxl_region) -> &'a Self {
        // SAFETY: `Self` is transparent over the C structure; the caller guarantees liveness.
        unsafe { &*p.cast() }
    }

    fn raw(&self) -> *mut c::cxl_region {
        self.0.get()
    }

    /// The raw pointer, for identity and the C structures that point at regions.
    pub(crate) fn as_raw(&self) -> *mut c::cxl_region {
        self.raw()
    }

    /// The region's `struct device`.
    pub(crate) fn dev_raw(&self) -> *mut bindings::device {
        self.dev()
    }

    /// The region a region device is (the core's region type, which only the provider's
    /// regions have).
    pub(crate) fn from_device<'a, Ctx: device::DeviceContext>(
        dev: &'a RegionDevice<Ctx>,
    ) -> &'a Region {
        let raw = as_raw(dev.as_ref());
        // SAFETY: `raw` is a live region device for `'a`, embedded in a region of ours.
        unsafe { Region::from_raw(kernel::container_of!(raw, c::cxl_region, dev)) }
    }

    /// `cxl_region_release()`: frees the region once its last reference is gone, giving its id
    /// back (the recently idled id is offered next rather than the cached one, so that the id
    /// space does not grow without need) and unpinning its root decoder.
    ///
    /// # Safety
    ///
    /// `dev` is the device of a region made by [`RegionsGuard::add_region`] whose last reference
    /// is gone; called once.
    pub(crate) unsafe fn release(dev: *mut bindings::device) {
        // SAFETY: Per the function's contract.
        let cxlr = unsafe { kernel::container_of!(dev, c::cxl_region, dev) };
        // SAFETY: The region is still allocated; the root decoder is pinned until below.
        let (rd, id) = unsafe { (RootDecoder::from_raw((*cxlr).cxlrd), (*cxlr).id) };
        let next = rd.region_id().load(Relaxed);
        if id < next && rd.region_id().cmpxchg(next, id, Full).is_ok() {
            memregion_free(next);
        } else {
            memregion_free(id);
        }
        // SAFETY: Drops the pin on the root decoder taken by `add_region`, then frees the region,
        // allocated there as a `KBox<Opaque<cxl_region>>`.
        unsafe {
            bindings::put_device((*dev).parent);
            drop(KBox::from_raw(cxlr.cast::<Opaque<c::cxl_region>>()));
        }
    }

    /// The release of a `cxl_dax_region` device made by [`Region::add_dax_region`].
    ///
    /// # Safety
    ///
    /// `dev` is such a device whose last reference is gone; called once.
    pub(crate) unsafe fn release_dax_region(dev: *mut bindings::device) {
        // SAFETY: Per the function's contract, `dev` is embedded in a `cxl_dax_region` allocated
        // as a `KBox<Opaque<cxl_dax_region>>`.
        unsafe {
            let p = kernel::container_of!(dev, c::cxl_dax_region, dev);
            drop(KBox::from_raw(p.cast::<Opaque<c::cxl_dax_region>>()));
        }
    }

    /// The endpoint decoder at interleave position `pos`.
    pub(crate) fn target<'a>(
        &'a self,
        _: &'a impl RegionLocked,
        pos: usize,
    ) -> Option<&'a EndpointDecoder> {
        // SAFETY: `targets[]` is guarded by `cxl_rwsem.region`, held; a set target stays
        // registered while the lock is held (its unregistration detaches under the lock).
        unsafe {
            let t = *(*self.params()).targets.get(pos)?;
            (!t.is_null()).then(|| EndpointDecoder::from_raw(t))
        }
    }

    /// Whether the memdev of the target at `pos` is a restricted CXL device (`cxlds->rcd`, as the
    /// C reads it, without `cxl_memdev_rwsem`); `false` for no target.
    pub(crate) fn target_is_rcd(&self, g: &impl RegionLocked, pos: usize) -> bool {
        self.target(g, pos)
            // SAFETY: A target of the region, read with `cxl_rwsem.region` held.
            .is_some_and(|t| unsafe { t.memdev().is_rcd_attached() })
    }

    /// The attached targets, `targets[0..nr_targets]` (the C loops `for (i = 0; i < p->nr_targets;
    /// i++)`).
    pub(crate) fn targets<'a>(
        &'a self,
        g: &'a impl RegionLocked,
    ) -> impl Iterator<Item = &'a EndpointDecoder> + 'a {
        let n = usize::try_from(self.nr_targets(g)).unwrap_or(0);
        (0..n).filter_map(move |i| self.target(g, i))
    }

    /// Sets or clears the target at `pos` (bounds checked by the caller against the ways).
    pub(crate) fn set_target(&self, _: &RegionWrite, pos: usize, t: Option<&EndpointDecoder>) {
        let p = t.map_or(ptr::null_mut(), |t| t.as_raw());
        // SAFETY: Guarded by `cxl_rwsem.region`, held for writing.
        unsafe {
            if let Some(slot) = (*self.params()).targets.get_mut(pos) {
                *slot = p;
            }
        }
    }

    /// The number of attached targets.
    pub(crate) fn nr_targets(&self, _: &impl RegionLocked) -> i32 {
        // SAFETY: As in `state`.
        unsafe { (*self.params()).nr_targets }
    }

    /// Sets the number of attached targets.
    pub(crate) fn set_nr_targets(&self, _: &RegionWrite, n: i32) {
        // SAFETY: As in `set_state`.
        unsafe { (*self.params()).nr_targets = n };
    }

    /// The decoder target type of the region (`cxlr->type`, constant).
    pub(crate) fn target_type(&self) -> u32 {
        // SAFETY: Set before the device is added.
        unsafe { (*self.raw()).type_ }
    }

    /// Whether flag bit `bit` (`CXL_REGION_F_*`) is set.
    pub(crate) fn flag(&self, _: &impl RegionLocked, bit: u32) -> bool {
        // SAFETY: `self` is live; every writer of the flags holds `cxl_rwsem.region` for writing.
        unsafe { (*self.raw()).flags & (1 << bit) != 0 }
    }

    /// Adds the flags a decoder of the region imposes (`cxl_region_setup_flags()`).
    pub(crate) fn apply_decoder_flags(&self, _: &RegionWrite, decoder_flags: usize) {
        // SAFETY: As in `flag`, held for writing.
        unsafe {
            (*self.raw()).flags =
                flags::region_flags_with_decoder((*self.raw()).flags, decoder_flags)
        };
    }

    /// Sets or clears flag bit `bit`.
    pub(crate) fn set_flag(&self, _: &RegionWrite, bit: u32, on: bool) {
        // SAFETY: As in `flag`, held for writing.
        unsafe {
            if on {
                (*self.raw()).flags |= 1 << bit;
            } else {
                (*self.raw()).flags &= !(1 << bit);
            }
        }
    }

    /// Adds `cxled`'s performance to the region's access coordinates
    /// (`cxl_region_perf_data_calculate()`).
    pub(crate) fn perf_data_calculate(
        &self,
        _: &RegionWrite,
        _: &super::topology::DpaRead,
        cxled: &EndpointDecoder,
    ) {
        // SAFETY: Both are live; the core function wants `cxl_rwsem.dpa` (held) and writes the
        // coordinates under `cxl_rwsem.region` (held for writing).
        unsafe { c::cxl_region_perf_data_calculate(self.raw(), cxled.as_raw()) };
    }

    /// `cxl_region_shared_upstream_bandwidth_update()`, once every target is attached.
    pub(crate) fn shared_upstream_bandwidth_update(&self, _: &RegionWrite) {
        // SAFETY: The region is live with all targets set, under `cxl_rwsem.region`.
        unsafe { c::cxl_region_shared_upstream_bandwidth_update(self.raw()) };
    }

    /// Invalidates the CPU caches over the region (`cxl_region_invalidate_memregion()`).
    /// Without a way to do it, as in a VM, this fails with a warning unless the kernel was
    /// built with `CONFIG_CXL_REGION_INVALIDATION_TEST`.
    pub(crate) fn invalidate_memregion(&self, g: &impl RegionLocked) -> Result {
        let (start, len) = self.hpa(g).map_or((0, 0), |h| (h.start, h.size()));
        // SAFETY: Only flushes caches over the given physical range.
        if len != 0 && unsafe { glue::rcxl_cpu_cache_invalidate_memregion(start, len) } {
            return Ok(());
        }
        if cfg!(CONFIG_CXL_REGION_INVALIDATION_TEST) {
            return Ok(());
        }
        kernel::warn_on!(true);
        Err(ENXIO)
    }

    /// The region's UUID (`p->uuid`: only a PMEM region has one; all zeros until set).
    pub(crate) fn uuid(&self, _: &impl RegionLocked) -> [u8; 16] {
        // SAFETY: As in `state`.
        unsafe { (*self.params()).uuid.b }
    }

    /// Sets the region's UUID.
    pub(crate) fn set_uuid(&self, _: &RegionWrite, uuid: [u8; 16]) {
        // SAFETY: As in `set_state`.
        unsafe { (*self.params()).uuid.b = uuid };
    }

    /// `devm_cxl_add_pmem_region()`: the `pmem_regionZ` child that `cxl_pmem` binds to make an
    /// nvdimm region of the committed PMEM region, registered with the nvdimm bridge above its
    /// first target (removed with the bridge's binding, or with the region's, whichever ends
    /// first). `-ENXIO` when not committed or the bridge is not bound, `-ENODEV` without a bridge.
    pub(crate) fn add_pmem_region(&self, dev: &RegionDevice<device::Bound>) -> Result {
        let p = self.pmem_region_alloc()?;
        // SAFETY: `p` is the initialized, unregistered device just made, referenced once; the
        // region's bridge was set with it and is referenced.
        unsafe {
            let pdev = &raw mut (*p).dev;
            let nvb = (*self.raw()).cxl_nvb;
            let mut rc = bindings::dev_set_name(pdev, c"pmem_region%d".as_char_ptr(), self.id());
            if rc == 0 {
                rc = bindings::device_add(pdev);
            }
            if rc != 0 {
                (*self.raw()).cxlr_pmem = ptr::null_mut();
                bindings::put_device(pdev);
                self.put_nvdimm_bridge();
                return Err(Error::from_errno(rc));
            }
            let nvb_dev = &raw mut (*nvb).dev;
            let rc = super::with_device_locked(nvb_dev, || {
                if (*nvb_dev).driver.is_null() {
                    // Not bound: nothing would unregister the child. The C leaves it registered; a
                    // device of ours must not outlive the module, so it goes here.
                    pmem_region_unregister(p.cast());
                    ENXIO.to_errno()
                } else {
                    let rc = bindings::__devm_add_action(
                        nvb_dev,
                        Some(pmem_region_unregister),
                        p.cast(),
                        c"cxlr_pmem_unregister".as_char_ptr(),
                    );
                    if rc != 0 {
                        pmem_region_unregister(p.cast());
                    }
                    rc
                }
            });
            if rc != 0 {
                self.put_nvdimm_bridge();
                return Err(Error::from_errno(rc));
            }
            // The region holds its bridge until it unbinds.
            let rc = bindings::__devm_add_action(
                as_raw(dev.as_ref()),
                Some(release_nvdimm),
                self.raw().cast(),
                c"cxlr_release_nvdimm".as_char_ptr(),
            );
            if rc != 0 {
                release_nvdimm(self.raw().cast());
                return Err(Error::from_errno(rc));
            }
        }
        Ok(())
    }

    /// `cxl_pmem_region_alloc()`: a snapshot of the committed region (its range, and each
    /// target's memdev, referenced, DPA and position) in a new, unregistered `pmem_regionZ`,
    /// recorded as the region's, with the nvdimm bridge (referenced) as `cxlr->cxl_nvb`.
    fn pmem_region_alloc(&self) -> Result<*mut c::cxl_pmem_region> {
        let g = RegionDpaRead::lock_interruptible()?;
        if self.state(&g) != ConfigState::Commit {
            return Err(ENXIO);
        }
        let hpa = self.hpa(&g).ok_or(ENXIO)?;
        let n = self.nr_targets(&g).max(0) as usize;
        let size = core::mem::size_of::<c::cxl_pmem_region>()
            + n * core::mem::size_of::<c::cxl_pmem_region_mapping>();
        // Regions never span CXL roots: the bridge of the first target is every target's.
        let first = self.target(&g, 0).ok_or(ENXIO)?;
        let ep = first.memdev().endpoint(&g).ok_or(ENXIO)?;
        // SAFETY: The endpoint port is live while its memdev is a committed target.
        let nvb = unsafe { c::cxl_find_nvdimm_bridge(ep.as_raw()) };
        if nvb.is_null() {
            return Err(ENODEV);
        }
        // SAFETY: A zeroed allocation (a valid `cxl_pmem_region` with `n` mappings), freed with
        // `kfree()` by the core's release once initialized below.
        let p = unsafe {
            bindings::__kmalloc_noprof(size, bindings::GFP_KERNEL | bindings::__GFP_ZERO)
        }
        .cast::<c::cxl_pmem_region>();
        // SAFETY: `p` is new and ours; the device is initialized by the core before anything can
        // reach it, and from then on `put_device()` frees it (the core's release drops the
        // memdev references of the `nr_mappings` mappings filled in, then `kfree()`s it).
        unsafe {
            if p.is_null() {
                bindings::put_device(&raw mut (*nvb).dev);
                return Err(ENOMEM);
            }
            let pdev = &raw mut (*p).dev;
            let rc = c::cxl_provider_device_initialize(
                pdev,
                c::cxl_provider_dev_CXL_PROVIDER_PMEM_REGION,
            );
            if rc != 0 {
                bindings::kfree(p.cast());
                bindings::put_device(&raw mut (*nvb).dev);
                return Err(Error::from_errno(rc));
            }
            (*p).hpa_range = bindings::range {
                start: hpa.start,
                end: hpa.end,
            };
            let maps = (*p).mapping.as_mut_ptr();
            for i in 0..n {
                let Some(t) = self.target(&g, i) else {
                    continue;
                };
                let md = t.memdev();
                let (start, end) = t.dpa_range(&g).unwrap_or((0, 0));
                let m = maps.add(i);
                bindings::get_device(&raw mut (*md.as_raw()).dev);
                (*m).cxlmd = md.as_raw();
                (*m).start = start;
                (*m).size = end.wrapping_sub(start);
                (*m).position = i as i32;
                (*p).nr_mappings = i as i32 + 1;
            }
            (*pdev).parent = self.dev();
            (*pdev).bus = (&raw const c::cxl_bus_type).cast_mut().cast();
            (*p).cxlr = self.raw();
            (*self.raw()).cxl_nvb = nvb;
            (*self.raw()).cxlr_pmem = p;
        }
        Ok(p)
    }

    /// Drops the region's reference to its nvdimm bridge.
    fn put_nvdimm_bridge(&self) {
        // SAFETY: Set with a reference by `pmem_region_alloc`, dropped once here.
        unsafe {
            let nvb = (*self.raw()).cxl_nvb;
            (*self.raw()).cxl_nvb = ptr::null_mut();
            if !nvb.is_null() {
                bindings::put_device(&raw mut (*nvb).dev);
            }
        }
    }

    /// Binds the region to its driver if it has one (`device_attach()`); takes the device lock,
    /// so the caller holds no region lock.
    pub(crate) fn attach_driver(&self) -> Result {
        // SAFETY: The device is registered.
        let rc = unsafe { bindings::device_attach(self.dev()) };
        if rc < 0 {
            return Err(Error::from_errno(rc));
        }
        Ok(())
    }

    /// Whether the region's decoders map exactly `range`: its resource less the extended linear
    /// cache in front (`spa_maps_hpa()`, `match_region_by_range()`, `match_auto_decoder()`).
    pub(crate) fn maps(&self, g: &impl RegionLocked, range: Range) -> bool {
        super::interleave::spa_maps_hpa(
            self.hpa(g).map(|h| (h.start, h.end)),
            self.cache_size(g),
            range.start,
            range.end,
        )
    }

    /// The range the region decodes (`cxlr->hpa_range`).
    pub(crate) fn hpa_range(&self, _: &impl RegionLocked) -> Range {
        // SAFETY: As in `state`.
        let r = unsafe { (*self.raw()).hpa_range };
        Range {
            start: r.start,
            end: r.end,
        }
    }

    /// The HPA of a region assembled from committed decoders (`__construct_region()`): the
    /// decoders' range `range`, preceded by `cache` bytes of extended linear cache, as the
    /// region's resource, inserted into the window if it fits there (a warning if not: firmware
    /// may not have split its memory map at the window's bounds). Nothing is set on `ENOMEM`.
    pub(crate) fn set_assembled_hpa(
        &self,
        _: &RegionWrite,
        range: Range,
        res_start: u64,
        cache: u64,
    ) -> Result<bool> {
        let rd = self.root_decoder();
        let b = KBox::init(
            pin_init::init_zeroed::<Opaque<bindings::resource>>(),
            GFP_KERNEL,
        )?;
        let res = KBox::into_raw(b).cast::<bindings::resource>();
        // SAFETY: `res` is new and ours; the window lives as long as the root decoder; the
        // name is the region's, which outlives the resource (released before the device). The
        // resource is freed with `kfree()` by `release_hpa_raw`, a `KBox` allocation is kmalloc'd.
        let inserted = unsafe {
            (*res).start = res_start;
            (*res).end = range.end;
            (*res).name = (*self.dev()).kobj.name;
            (*res).flags = bindings::IORESOURCE_MEM as usize;
            let rc = bindings::insert_resource((*rd.raw()).res.cast(), res);
            (*self.raw()).hpa_range = bindings::range {
                start: range.start,
                end: range.end,
            };
            (*self.params()).res = res.cast();
            (*self.params()).cache_size = cache;
            rc == 0
        };
        Ok(inserted)
    }

    /// Unbinds the region driver (`device_release_driver()`); takes the device lock, so the
    /// caller holds no region lock.
    pub(crate) fn release_driver(&self) {
        // SAFETY: The device is registered or being unregistered; either is allowed.
        unsafe { bindings::device_release_driver(self.dev()) };
    }

    /// A counted reference to the region (`get_device()`), dropped with the returned value.
    pub(crate) fn get(&self) -> ARef<Region> {
        self.into()
    }

    /// Adds the `dax_regionZ` child over the committed HPA range, removed when the region driver
    /// unbinds (`devm_cxl_add_dax_region()`). `-ENXIO` when not committed; `-EINVAL` for a
    /// Dynamic Capacity region that is not 1-way (checked again here, under the lock, as the
    /// ways were when they were set).
    ///
    /// `before_removal` runs just before the child is unregistered (with the region), so that
    /// what hangs below it can go first.
    pub(crate) fn add_dax_region(
        &self,
        dev: &RegionDevice<device::Bound>,
        before_removal: fn(&Region),
    ) -> Result<ARef<DaxRegionDev>> {
        let hpa = {
            let g = RegionRead::lock_interruptible()?;
            if self.state(&g) != ConfigState::Commit {
                return Err(ENXIO);
            }
            if self.mode() == Some(PartMode::DynamicRam1) && self.interleave(&g).ways != 1 {
                dev_err!(self.as_ref(), "Interleaving DC not supported\n");
                return Err(EINVAL);
            }
            self.hpa(&g).ok_or(ENXIO)?
        };
        let b = KBox::init(
            pin_init::init_zeroed::<Opaque<c::cxl_dax_region>>(),
            GFP_KERNEL,
        )?;
        let p = KBox::into_raw(b).cast::<c::cxl_dax_region>();
        // SAFETY: `p` is a new, zeroed dax region that nothing else sees yet: freed here if the
        // core does not initialize its device, else by its release callback (the core's, which
        // calls `Region::release_dax_region`). The region is live and outlives its child.
        let child = unsafe {
            let child = &raw mut (*p).dev;
            let rc = c::cxl_provider_device_initialize(
                child,
                c::cxl_provider_dev_CXL_PROVIDER_DAX_REGION,
            );
            if rc != 0 {
                drop(KBox::from_raw(p.cast::<Opaque<c::cxl_dax_region>>()));
                return Err(Error::from_errno(rc));
            }
            (*p).hpa_range = bindings::range {
                start: hpa.start,
                end: hpa.end,
            };
            (*p).cxlr = self.raw();
            (*child).parent = self.dev();
            (*child).bus = (&raw const c::cxl_bus_type).cast_mut().cast();
            let mut rc = bindings::dev_set_name(child, c"dax_region%d".as_char_ptr(), self.id());
            if rc == 0 {
                rc = bindings::device_add(child);
            }
            if rc != 0 {
                bindings::put_device(child);
                return Err(Error::from_errno(rc));
            }
            // INVARIANT: Added just above; the reference is the child's.
            ChildDevice {
                dev: NonNull::new_unchecked(child),
                region: NonNull::new_unchecked(self.raw()),
                before_removal,
            }
        };
        // SAFETY: The child was added just above and is referenced by `child`.
        let held = unsafe { DaxRegionDev::from_raw(child.dev.as_ptr()) }.into();
        // Removed when the region driver unbinds; at once if the devres cannot be had.
        kernel::devres::register(dev.as_ref(), child, GFP_KERNEL)?;
        Ok(held)
    }

    /// Registers the node and abstract-distance notifiers of a bound region (as
    /// `cxl_region_probe()` does); they go when the driver unbinds. `P`'s access groups follow
    /// the coordinates.
    pub(crate) fn register_notifiers<P: Provider>(
        &self,
        dev: &RegionDevice<device::Bound>,
    ) -> Result {
        // SAFETY: The region is bound to our driver, so its notifier blocks are not registered
        // yet (the previous binding's devres unregistered them); they live as long as the region,
        // which outlives its binding.
        let guard = unsafe {
            let node = &raw mut (*self.raw()).node_notifier;
            (*node).notifier_call = Some(perf_attrs_callback::<P>);
            (*node).priority = c::RCXL_CALLBACK_PRI;
            let adist = &raw mut (*self.raw()).adist_notifier;
            (*adist).notifier_call = Some(adistance_callback);
            (*adist).priority = 100;
            glue::rcxl_register_notifiers(node, adist);
            // INVARIANT: Registered just above.
            Notifiers(NonNull::new_unchecked(self.raw()))
        };
        kernel::devres::register(dev.as_ref(), guard, GFP_KERNEL)
    }

    /// Adds the region's debugfs `inject_poison` and `clear_poison` (`cxl_region_setup_poison()`),
    /// removed when the driver unbinds. A write reaches the provider's `region_poison`.
    pub(crate) fn add_poison_debugfs(&self, dev: &RegionDevice<device::Bound>) -> Result {
        // SAFETY: The region is live and bound; the files pass it to their write, and are
        // removed (waiting for writes in flight) when the driver unbinds, before the region can be
        // freed.
        let dentry = unsafe { glue::rcxl_region_poison_debugfs(self.raw().cast()) };
        kernel::devres::register(dev.as_ref(), PoisonDebugfs(dentry), GFP_KERNEL)
    }

    /// Registers the region's EDAC device, its memdevs' memory scrub control as one
    /// (`devm_cxl_region_edac_register()`: with `CONFIG_CXL_EDAC_SCRUB`, a no-op otherwise),
    /// released by the EDAC core's devres when the driver unbinds.
    pub(crate) fn register_edac(&self, _: &RegionDevice<device::Bound>) -> Result {
        // SAFETY: The region is live and bound to our driver, whose unbind releases what the call
        // registers on its device (devres of the built-in EDAC core).
        to_result(unsafe { glue::rcxl_region_edac_register(self.raw().cast()) })
    }

    /// The region's node (`phys_to_target_node()` of its start); its parameters are stable while
    /// the driver is bound, which is when the notifiers run.
    fn target_node(&self) -> Option<i32> {
        // SAFETY: As above: `res` is set and constant while the region is bound.
        let start = unsafe {
            let res = (*self.params()).res;
            if res.is_null() {
                return None;
            }
            (*res).start
        };
        super::numa::phys_to_target_node(start)
    }

    /// Whether part of the HPA range is already System RAM (`walk_iomem_res_desc()`).
    pub(crate) fn overlaps_system_ram(&self, hpa: Range) -> bool {
        system_ram_in(hpa)
    }

    fn dev(&self) -> *mut bindings::device {
        // SAFETY: `self` is live.
        unsafe { (&raw mut (*self.raw()).dev).cast() }
    }

    /// The region id `Z` of `regionZ` (constant).
    pub(crate) fn id(&self) -> i32 {
        // SAFETY: `self` is live; the id is set before the device is added.
        unsafe { (*self.raw()).id }
    }

    /// The device name, `regionZ`.
    pub(crate) fn name(&self) -> &CStr {
        // SAFETY: The name is set before the device is added and lives as long as the device.
        unsafe { CStr::from_char_ptr((*self.dev()).kobj.name) }
    }

    /// The partition mode (constant).
    pub(crate) fn mode(&self) -> Option<PartMode> {
        // SAFETY: `self` is live; the mode is set before the device is added.
        match unsafe { (*self.raw()).mode } {
            c::cxl_partition_mode_CXL_PARTMODE_RAM => Some(PartMode::Ram),
            c::cxl_partition_mode_CXL_PARTMODE_PMEM => Some(PartMode::Pmem),
            c::cxl_partition_mode_CXL_PARTMODE_DYNAMIC_RAM_1 => Some(PartMode::DynamicRam1),
            _ => None,
        }
    }

    /// The root decoder the region was created on (constant, pinned by the region).
    pub(crate) fn root_decoder(&self) -> &RootDecoder {
        // SAFETY: The glue takes a reference on the root decoder for the region's lifetime.
        unsafe { RootDecoder::from_raw((*self.raw()).cxlrd) }
    }

    fn params(&self) -> *mut c::cxl_region_params {
        // SAFETY: `self` is live.
        unsafe { &raw mut (*self.raw()).params }
    }

    /// The configuration state.
    pub(crate) fn state(&self, _: &impl RegionLocked) -> ConfigState {
        // SAFETY: The parameters are guarded by `cxl_rwsem.region`, held.
        ConfigState::from_raw(unsafe { (*self.params()).state })
    }

    /// Sets the configuration state.
    pub(crate) fn set_state(&self, _: &RegionWrite, state: ConfigState) {
        // SAFETY: The parameters are guarded by `cxl_rwsem.region`, held for writing.
        unsafe { (*self.params()).state = state.to_raw() };
    }

    /// Interleave ways and granularity (0 while unset).
    pub(crate) fn interleave(&self, _: &impl RegionLocked) -> Interleave {
        // SAFETY: As in `state`.
        unsafe {
            Interleave {
                ways: (*self.params()).interleave_ways,
                granularity: (*self.params()).interleave_granularity,
            }
        }
    }

    /// The interleave ways without the lock, for `is_visible` of `targetN`: `sysfs_update_group()`
    /// calls it from [`Region::set_interleave_ways`] with `cxl_rwsem.region` held for writing by
    /// this task, and `device_add()` before anyone else can reach the region (as in C).
    pub(crate) fn interleave_ways_unlocked(&self) -> i32 {
        // SAFETY: Per the above, no writer runs concurrently.
        unsafe { (*self.params()).interleave_ways }
    }

    /// Sets the interleave ways; the files of `targets` follow. On failure nothing changes.
    #[inline(always)]
    pub(crate) fn set_interleave_ways(
        &self,
        _: &RegionWrite,
        ways: i32,
        targets: &'static sysfs::Group,
    ) -> Result {
        // SAFETY: As in `set_state`.
        let save = unsafe { (*self.params()).interleave_ways };
        // SAFETY: As in `set_state`.
        unsafe { (*self.params()).interleave_ways = ways };
        let rc = targets.update(self.as_ref());
        if rc.is_err() {
            // SAFETY: As in `set_state`.
            unsafe { (*self.params()).interleave_ways = save };
        }
        rc
    }

    /// Sets the interleave granularity.
    pub(crate) fn set_interleave_granularity(&self, _: &RegionWrite, gran: i32) {
        // SAFETY: As in `set_state`.
        unsafe { (*self.params()).interleave_granularity = gran };
    }

    /// The allocated host physical address range.
    pub(crate) fn hpa(&self, _: &impl RegionLocked) -> Option<Range> {
        // SAFETY: As in `state`; a set `res` is a live resource owned by the region.
        let res = unsafe { (*self.params()).res };
        // SAFETY: As above.
        (!res.is_null()).then(|| unsafe {
            Range {
                start: (*res).start,
                end: (*res).end,
            }
        })
    }

    /// Allocates `size` bytes of HPA from the root decoder's window, 256 MiB aligned
    /// (`alloc_free_mem_region()`), and records it.
    pub(crate) fn alloc_hpa(&self, _: &RegionWrite, size: u64) -> Result {
        let rd = self.root_decoder();
        let size = usize::try_from(size).map_err(|_| ERANGE)?;
        // CAST: 256 MiB fits any `usize` the kernel runs on.
        let align = c::RCXL_SZ_256M as usize;
        // SAFETY: The window resource lives as long as the root decoder; the name is the
        // region's, which outlives the resource (released before the device).
        let res = unsafe {
            bindings::alloc_free_mem_region(
                (*rd.raw()).res.cast(),
                size,
                align,
                (*self.dev()).kobj.name,
            )
        };
        let res = from_err_ptr(res)?;
        // SAFETY: As in `set_state`; `res` is the new, valid resource.
        unsafe {
            (*self.raw()).hpa_range = bindings::range {
                start: (*res).start,
                end: (*res).end,
            };
            (*self.params()).res = res.cast();
        }
        Ok(())
    }

    /// Returns the HPA to the window (`free_hpa()` without the state checks).
    pub(crate) fn release_hpa(&self, _: &RegionWrite) {
        self.release_hpa_raw();
    }

    /// `cxl_region_iomem_release()`: the caller holds `cxl_rwsem.region` for writing, or the
    /// region's sysfs is closed.
    fn release_hpa_raw(&self) {
        // SAFETY: Exclusive access per the above; a set `res` is owned by the region and was
        // inserted into the window.
        unsafe {
            (*self.raw()).hpa_range = bindings::range {
                start: 0,
                end: u64::MAX,
            };
            let res = (*self.params()).res;
            if !res.is_null() {
                if !(*res).parent.is_null() {
                    bindings::remove_resource(res.cast());
                }
                bindings::kfree(res.cast());
                (*self.params()).res = ptr::null_mut();
            }
        }
    }

    /// Whether the region is locked (`CXL_REGION_F_LOCK`).
    pub(crate) fn locked(&self, _: &impl RegionLocked) -> bool {
        // SAFETY: `self` is live; `flags` is only read here.
        unsafe { (*self.raw()).flags & (1 << c::CXL_REGION_F_LOCK) != 0 }
    }

    /// Access coordinate `what` of access class `level` (0 or 1); 0 when unknown. Written by the
    /// core's CDAT code while targets attach, under `cxl_rwsem.region`; read without it, as C does.
    pub(crate) fn coordinate(&self, level: usize, what: Coordinate) -> u32 {
        if level > 1 {
            return 0;
        }
        // SAFETY: `self` is live; `level` is in bounds of `coord[2]`. A torn read is impossible
        // for an aligned `u32`.
        let c = unsafe { ptr::read_volatile(&raw const (*self.raw()).coord[level]) };
        match what {
            Coordinate::ReadBandwidth => c.read_bandwidth,
            Coordinate::WriteBandwidth => c.write_bandwidth,
            Coordinate::ReadLatency => c.read_latency,
            Coordinate::WriteLatency => c.write_latency,
        }
    }

    /// Size of the extended linear cache in front of the region (0 without one).
    pub(crate) fn cache_size(&self, _: &impl RegionLocked) -> u64 {
        // SAFETY: As in `state`.
        unsafe { (*self.params()).cache_size }
    }

    /// The cache size without the lock, for `is_visible`: never set for a region created through
    /// sysfs; set once by region assembly ([`Region::set_assembled_hpa`]), under
    /// `cxl_rwsem.region` held for writing, before the same task updates the region group's
    /// visibility (which calls `is_visible` from that task), and not changed afterwards.
    pub(crate) fn cache_size_fixed(&self) -> u64 {
        // SAFETY: `self` is live; per the above, no writer runs concurrently with a reader.
        unsafe { (*self.params()).cache_size }
    }
}

pub(crate) use flags::{REGION_F_AUTO, REGION_F_LOCK, REGION_F_NEEDS_RESET};

// The pure flag rules use the kernel's bit values.
const _: () = {
    assert!(flags::DECODER_F_RAM == c::RCXL_DECODER_F_RAM);
    assert!(flags::DECODER_F_PMEM == c::RCXL_DECODER_F_PMEM);
    assert!(flags::DECODER_F_TYPE3 == c::RCXL_DECODER_F_TYPE3);
    assert!(flags::DECODER_F_LOCK == c::RCXL_DECODER_F_LOCK);
    assert!(flags::DECODER_F_NORMALIZED_ADDRESSING == c::RCXL_DECODER_F_NORMALIZED_ADDRESSING);
    assert!(flags::REGION_F_AUTO == c::CXL_REGION_F_AUTO);
    assert!(flags::REGION_F_LOCK == c::CXL_REGION_F_LOCK);
    assert!(flags::REGION_F_NEEDS_RESET == c::CXL_REGION_F_NEEDS_RESET);
    assert!(flags::REGION_F_NORMALIZED_ADDRESSING == c::CXL_REGION_F_NORMALIZED_ADDRESSING);
};

// SAFETY: A region is counted by its device's reference count: `get_device()` keeps it allocated,
// and the last `put_device()` runs its release callback, which frees it.
unsafe impl AlwaysRefCounted for Region {
    fn inc_ref(&self) {
        // SAFETY: The region is live, so its device has a non-zero count.
        unsafe { bindings::get_device(self.dev()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a count on the live region.
        unsafe { bindings::put_device(obj.as_ref().dev()) };
    }
}

/// Whether any System RAM (a busy `IORESOURCE_SYSTEM_RAM` resource: memory added to the kernel,
/// online or not) lies in `hpa`.
pub(crate) fn system_ram_in(hpa: Range) -> bool {
    // SAFETY: Only walks the resource tree; the callback returns 1 at the first match.
    unsafe {
        bindings::walk_iomem_res_desc(
            // CAST: Small constants of `ioport.h` (the flags fit 32 bits).
            bindings::IORES_DESC_NONE as kernel::ffi::c_ulong,
            (bindings::IORESOURCE_SYSTEM_RAM | bindings::IORESOURCE_BUSY) as kernel::ffi::c_ulong,
            hpa.start,
            hpa.end,
            ptr::null_mut(),
            Some(found_one),
        ) > 0
    }
}

/// A `walk_iomem_res_desc()` callback that stops at the first resource.
///
/// # Safety
///
/// Called by the resource walk; touches nothing.
unsafe extern "C" fn found_one(_: *mut bindings::resource, _: *mut kernel::ffi::c_void) -> c_int {
    1
}

/// Nodes whose performance attributes a region has set (`nodemask_region_seen`): bit `n % 64` of
/// word `n / 64`. Per module load; the C mask lives as long as the kernel.
static NODES_SEEN: [Atomic<u64>; (bindings::MAX_NUMNODES as usize).div_ceil(64)] =
    [const { Atomic::new(0) }; (bindings::MAX_NUMNODES as usize).div_ceil(64)];

/// `node_test_and_set(nid, nodemask_region_seen)`.
fn node_test_and_set(nid: i32) -> bool {
    let Some(word) = usize::try_from(nid)
        .ok()
        .and_then(|n| NODES_SEEN.get(n / 64))
    else {
        return true;
    };
    let bit = 1u64 << (nid % 64);
    let mut old = word.load(Relaxed);
    loop {
        if old & bit != 0 {
            return true;
        }
        match word.cmpxchg(old, old | bit, Full) {
            Ok(_) => return false,
            Err(cur) => old = cur,
        }
    }
}

/// `cxl_region_perf_attrs_callback()`: the first memory of the region's node came online; the
/// node gets the region's access coordinates.
///
/// # Safety
///
/// Called by the node notifier chain with the `node_notifier` of a bound region of ours.
unsafe extern "C" fn perf_attrs_callback<P: Provider>(
    nb: *mut bindings::notifier_block,
    action: kernel::ffi::c_ulong,
    arg: *mut kernel::ffi::c_void,
) -> c_int {
    if action != bindings::NODE_ADDED_FIRST_MEMORY as kernel::ffi::c_ulong {
        return bindings::NOTIFY_DONE as c_int;
    }
    // SAFETY: `nb` is embedded in a live region (see the function's contract); the chain passes a
    // `struct node_notify`.
    let (r, nid) = unsafe {
        (
            Region::from_raw(kernel::container_of!(nb, c::cxl_region, node_notifier)),
            (*arg.cast::<bindings::node_notify>()).nid,
        )
    };
    if r.target_node() != Some(nid) || node_test_and_set(nid) {
        return bindings::NOTIFY_DONE as c_int;
    }
    let mut set = 0;
    for level in 0..2u32 {
        // SAFETY: `coord` has two entries, written only while targets attach (before probe).
        unsafe {
            let coord = &raw mut (*r.raw()).coord[level as usize];
            if (*coord).read_bandwidth != 0 {
                bindings::node_update_perf_attrs(nid as u32, coord.cast(), level);
                set += 1;
            }
        }
    }
    if set == 0 {
        return bindings::NOTIFY_DONE as c_int;
    }
    for group in P::ACCESS_GROUPS {
        if group.update(r.as_ref()).is_err() {
            dev_dbg!(r.as_ref(), "Failed to update access groups\n");
        }
    }
    bindings::NOTIFY_OK as c_int
}

/// `cxl_region_calculate_adistance()`: the abstract distance of the region's node, for its
/// memory tier, from the region's CPU access coordinates.
///
/// # Safety
///
/// Called by the memory-tier notifier chain with the `adist_notifier` of a bound region of ours
/// and a pointer to the distance.
unsafe extern "C" fn adistance_callback(
    nb: *mut bindings::notifier_block,
    nid: kernel::ffi::c_ulong,
    data: *mut kernel::ffi::c_void,
) -> c_int {
    // SAFETY: `nb` is embedded in a live region (see the function's contract).
    let r = unsafe { Region::from_raw(kernel::container_of!(nb, c::cxl_region, adist_notifier)) };
    if r.target_node().map(|n| n as kernel::ffi::c_ulong) != Some(nid) {
        return bindings::NOTIFY_OK as c_int;
    }
    // SAFETY: `coord` is stable while bound; `data` points to the distance to fill.
    let rc = unsafe {
        let perf = &raw mut (*r.raw()).coord
            [bindings::access_coordinate_class_ACCESS_COORDINATE_CPU as usize];
        c::mt_perf_to_adistance(perf.cast(), data.cast())
    };
    if rc != 0 {
        return bindings::NOTIFY_OK as c_int;
    }
    bindings::NOTIFY_STOP as c_int
}

/// Reserves a global region id (`memregion_alloc()`).
pub(crate) fn memregion_alloc() -> Result<i32> {
    // SAFETY: No preconditions.
    let id = unsafe { c::memregion_alloc(bindings::GFP_KERNEL) };
    to_result(id)?;
    Ok(id)
}

/// Returns a region id (`memregion_free()`).
pub(crate) fn memregion_free(id: i32) {
    // SAFETY: No preconditions; ids not allocated are ignored by the IDA.
    unsafe { c::memregion_free(id) };
}

/// A `cxl_dax_region` child of a bound region, unregistered when the region driver unbinds.
///
/// # Invariants
///
/// `dev` is an added device whose reference this owns; `region` is its parent region, which
/// outlives it.
struct ChildDevice {
    dev: NonNull<bindings::device>,
    region: NonNull<c::cxl_region>,
    before_removal: fn(&Region),
}

// SAFETY: Device unregistration may happen from any task.
unsafe impl Send for ChildDevice {}

impl Drop for ChildDevice {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the region is live.
        (self.before_removal)(unsafe { Region::from_raw(self.region.as_ptr()) });
        // SAFETY: By the type invariants the device was added and the reference is ours.
        unsafe { bindings::device_unregister(self.dev.as_ptr()) };
    }
}

/// A `cxl_dax_region` device, counted.
///
/// # Invariants
///
/// A `&DaxRegionDev` refers to a live `cxl_dax_region` device of the registered provider.
#[repr(transparent)]
pub(crate) struct DaxRegionDev(Opaque<bindings::device>);

// SAFETY: A device is reference-counted with atomics and its embedded state is guarded by the
// driver core; the wrapper offers nothing else.
unsafe impl Send for DaxRegionDev {}
// SAFETY: As for `Send`.
unsafe impl Sync for DaxRegionDev {}

impl DaxRegionDev {
    /// # Safety
    ///
    /// `p` is a live `cxl_dax_region` device for `'a`.
    unsafe fn from_raw<'a>(p: *mut bindings::device) -> &'a Self {
        // SAFETY: Per the function's contract; `Self` is transparent over the device.
        unsafe { &*p.cast::<Self>() }
    }

    /// The device, for making children of it.
    pub(crate) fn as_raw(&self) -> *mut bindings::device {
        self.0.get()
    }

    /// Runs `f` with the device locked (`device_lock()`): meanwhile its driver neither binds nor
    /// unbinds, and a probe in progress has finished. Its children (extent devices) are added
    /// and removed under this lock, so that the driver's probe sees them exactly.
    pub(crate) fn with_lock<R>(&self, f: impl FnOnce(&DaxRegionLocked<'_>) -> R) -> R {
        // SAFETY: The device is live and initialized.
        unsafe { super::with_device_locked(self.as_raw(), || f(&DaxRegionLocked(self))) }
    }
}

/// A [`DaxRegionDev`] whose device lock is held ([`DaxRegionDev::with_lock`]).
pub(crate) struct DaxRegionLocked<'a>(&'a DaxRegionDev);

impl DaxRegionLocked<'_> {
    /// The device.
    pub(crate) fn dev(&self) -> &DaxRegionDev {
        self.0
    }

    /// Tells the driver bound to the device `news`, if one is bound and listens
    /// (`cxl_driver::notify`); `Ok` when none does.
    pub(crate) fn notify(&self, news: &super::driver::Notify<'_>) -> Result {
        let dev = self.0.as_raw();
        // SAFETY: The device lock is held, so `driver` does not change meanwhile.
        let drv = unsafe { (*dev).driver };
        if drv.is_null() {
            return Ok(());
        }
        // SAFETY: A driver bound to a device of the CXL bus embeds its `struct device_driver` in
        // a `struct cxl_driver`, registered (and so live) while it is bound.
        let notify = unsafe { (*kernel::container_of!(drv, c::cxl_driver, drv)).notify };
        let Some(notify) = notify else {
            return Ok(());
        };
        // SAFETY: `notify` is the callback of the driver bound to `dev`, which is locked.
        unsafe { news.call(notify, dev) }
    }
}

// SAFETY: The device is counted by its reference count.
unsafe impl AlwaysRefCounted for DaxRegionDev {
    fn inc_ref(&self) {
        // SAFETY: The device is live, so its count is non-zero.
        unsafe { bindings::get_device(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a count on the live device.
        unsafe { bindings::put_device(obj.as_ref().as_raw()) };
    }
}

/// The notifiers of a bound region, unregistered when the region driver unbinds.
///
/// # Invariants
///
/// The pointer is a live region whose notifier blocks are registered.
struct Notifiers(NonNull<c::cxl_region>);

/// The region's debugfs directory (or an error pointer, which removal ignores), removed on drop.
struct PoisonDebugfs(*mut c_void);

// SAFETY: debugfs removal may happen from any task.
unsafe impl Send for PoisonDebugfs {}

impl Drop for PoisonDebugfs {
    fn drop(&mut self) {
        // SAFETY: The directory made by `add_poison_debugfs`, removed once.
        unsafe { glue::rcxl_debugfs_remove(self.0) };
    }
}

// SAFETY: Notifier unregistration may happen from any task.
unsafe impl Send for Notifiers {}

impl Drop for Notifiers {
    fn drop(&mut self) {
        let r = self.0.as_ptr();
        // SAFETY: By the type invariants both blocks are registered; the region is live.
        unsafe {
            glue::rcxl_unregister_notifiers(
                &raw mut (*r).node_notifier,
                &raw mut (*r).adist_notifier,
            )
        };
    }
}

impl RootDecoder {
    /// Removes every region (see [`RegionsGuard::remove_all`]), whatever signals are pending.
    pub(crate) fn remove_all_regions(&self, dying: bool, detach: impl FnMut(&Region)) {
        self.lock_regions_uninterruptible()
            .remove_all(dying, detach);
    }
}
