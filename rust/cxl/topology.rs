// SPDX-License-Identifier: GPL-2.0

//! The CXL port topology as region attach walks it: ports, the per-memdev `cxl_ep` links,
//! downstream ports, memdevs, endpoint and port decoders, and the per-port region references
//! (`struct cxl_region_ref`). Only `cxl_region` includes this file.
//!
//! # Lifetimes and locking
//!
//! As in `drivers/cxl/core/region.c`: everything reachable from a region's targets stays
//! registered while `cxl_rwsem.region` is held, because endpoint decoder unregistration detaches
//! from its region under that lock first, and ports outlive what is below them. The mutable state
//! here (decoder programming, target lists, region references, `cxled->pos`) is guarded by
//! `cxl_rwsem.region` held for writing, which the mutators ask for.

use super::cxl_bindings as c;
use super::region::{Interleave, Region, RegionLocked, RegionWrite};
use super::rwsem::{Held, ReadGuard, StaticRwSem};
use super::{glue, sysfs, Range};
use core::ptr::{self, NonNull};
use kernel::{
    bindings,
    error::to_result,
    ffi::c_void,
    prelude::*,
    str::CStr,
    sync::aref::{ARef, AlwaysRefCounted},
    types::Opaque, //
};

/// Reads field `$f` of the C object behind the wrapper `$obj`, by value, through a raw pointer:
/// never a reference to a C structure that C changes concurrently.
macro_rules! field {
    ($obj:expr, $($f:ident).+) => {
        // SAFETY: The wrapper is live (see the module documentation), and the fields read this way
        // are constant, or guarded by a lock the caller holds (see each accessor).
        unsafe { (&raw const (*$obj.raw()).$($f).+).read() }
    };
}

/// A `#[repr(transparent)]` wrapper of a C object of this module.
///
/// # Safety
///
/// `Self` is `#[repr(transparent)]` over `Opaque<Self::C>`.
unsafe trait Wrapper: Sized {
    /// The C structure.
    type C;

    /// The wrapper of `p`, `None` for NULL.
    ///
    /// # Safety
    ///
    /// `p` is NULL or a live object that stays live for `'a` (see the module documentation).
    unsafe fn opt<'a>(p: *mut Self::C) -> Option<&'a Self> {
        // SAFETY: Per the function's contract; `Self` is transparent over the C type.
        (!p.is_null()).then(|| unsafe { &*p.cast::<Self>() })
    }
}

/// Declares a wrapper of a C object, compared by identity.
///
/// # Invariants
///
/// A `&$name` refers to a live object: every constructor (`opt`, `from_raw`, the accessors that
/// return one) documents what keeps it live for the borrow.
macro_rules! transparent {
    ($(#[$m:meta])* $name:ident, $c:ty) => {
        $(#[$m])*
        #[repr(transparent)]
        pub(crate) struct $name(Opaque<$c>);

        // SAFETY: Declared `#[repr(transparent)]` over `Opaque<$c>` just above.
        unsafe impl Wrapper for $name {
            type C = $c;
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                ptr::eq(self, other)
            }
        }

        impl $name {
            fn raw(&self) -> *mut $c {
                self.0.get()
            }
        }
    };
}

transparent!(
    /// A CXL port (`struct cxl_port`).
    Port,
    c::cxl_port
);
transparent!(
    /// A downstream port (`struct cxl_dport`), compared by identity.
    Dport,
    c::cxl_dport
);
transparent!(
    /// A memdev's link through a port (`struct cxl_ep`).
    Ep,
    c::cxl_ep
);
transparent!(
    /// A memdev (`struct cxl_memdev`), compared by identity.
    Memdev,
    c::cxl_memdev
);
transparent!(
    /// An endpoint decoder (`struct cxl_endpoint_decoder`).
    EndpointDecoder,
    c::cxl_endpoint_decoder
);
transparent!(
    /// The decoder a region uses at a port (`struct cxl_decoder`): the endpoint decoder at the
    /// endpoint port, a switch decoder above it.
    PortDecoder,
    c::cxl_decoder
);
transparent!(
    /// A region's state at one port (`struct cxl_region_ref`).
    RegionRef,
    c::cxl_region_ref
);
transparent!(
    /// The state of a memory device's driver (`struct cxl_memdev_state`), as the core passes it
    /// to the Dynamic Capacity event callback.
    MemdevState,
    c::cxl_memdev_state
);

/// `AsRef<Device>` for a wrapper of a C object that embeds its `struct device` at `$($field).+`,
/// so that `dev_*!` print with the object's name.
macro_rules! as_device {
    ($name:ident, $($field:ident).+) => {
        impl AsRef<kernel::device::Device> for $name {
            fn as_ref(&self) -> &kernel::device::Device {
                // SAFETY: `self` is live (see the module documentation), so its embedded device
                // has a non-zero reference count for as long as the borrow.
                unsafe {
                    kernel::device::Device::from_raw((&raw mut (*self.raw()).$($field).+).cast())
                }
            }
        }
    };
}

as_device!(Port, dev);
as_device!(EndpointDecoder, cxld.dev);
as_device!(PortDecoder, dev);
as_device!(Memdev, dev);

// SAFETY: A memdev is reference-counted with atomics; its fields are read under the locks the
// accessors name, or are constant.
unsafe impl Send for Memdev {}
// SAFETY: As for `Send`.
unsafe impl Sync for Memdev {}

/// Interleave capabilities of a port's HDM decoders.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HdmCaps {
    /// Bit `n` set: `n`-way interleave is supported (`iw_cap_mask`).
    pub(crate) ways_mask: u64,
    /// The HPA bits the decoders can use to select a target (`interleave_mask`).
    pub(crate) address_mask: u32,
}

/// The counters of a region's reference at a port (`struct cxl_region_ref`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RefCounts {
    /// Targets the port's decoder needs (`nr_targets`).
    pub(crate) targets: i32,
    /// Targets programmed so far (`nr_targets_set`).
    pub(crate) targets_set: i32,
    /// Endpoints of the region below the port (`nr_eps`).
    pub(crate) eps: i32,
}

/// The xarray index of an entry keyed by pointer.
fn key<T>(p: *const T) -> usize {
    p as usize
}

/// `xa_for_each()`: `f` sees each entry of `xa` in index order and returns `false` to stop.
///
/// # Safety
///
/// `xa` is an initialized xarray whose entries stay valid as `*mut T` while this runs.
unsafe fn xa_for_each<T>(xa: *mut bindings::xarray, mut f: impl FnMut(&T) -> bool) {
    let mut index: usize = 0;
    // SAFETY: Per the function's contract.
    let mut p = unsafe { bindings::xa_find(xa, &mut index, usize::MAX, bindings::XA_PRESENT) };
    // SAFETY: Per the function's contract, a non-NULL entry is a valid `T`.
    while !p.is_null() && f(unsafe { &*p.cast::<T>() }) {
        // SAFETY: Per the function's contract.
        p = unsafe { bindings::xa_find_after(xa, &mut index, usize::MAX, bindings::XA_PRESENT) };
    }
}

impl Port {
    /// # Safety
    ///
    /// `p` is a live CXL port that outlives `'a`.
    pub(crate) unsafe fn from_raw<'a>(p: *mut c::cxl_port) -> &'a Port {
        // SAFETY: Per the contract; `Port` is transparent over the C structure.
        unsafe { &*p.cast::<Port>() }
    }

    /// The raw pointer.
    pub(crate) fn as_raw(&self) -> *mut c::cxl_port {
        self.raw()
    }

    /// The memdev of an endpoint port (its `uport_dev`), `None` for other ports.
    pub(crate) fn endpoint_memdev(&self) -> Option<&Memdev> {
        let uport = field!(self, uport_dev).cast::<bindings::device>();
        // SAFETY: `uport_dev` is a live device for as long as the port (`is_cxl_endpoint()`).
        if !unsafe { c::is_cxl_memdev(uport.cast()) } {
            return None;
        }
        // SAFETY: An endpoint port's `uport_dev` is its memdev's device. The port does not keep
        // it, but the memdev goes only after the port's decoders are deleted, and callers hold one
        // of them live (see `EndpointDecoder::memdev`).
        Some(unsafe { Memdev::from_dev(uport) })
    }

    /// The id of the last committed decoder, -1 for none (`port->commit_end`, written under
    /// `cxl_rwsem.region` held for writing).
    pub(crate) fn commit_end(&self, _: &impl RegionLocked) -> i32 {
        field!(self, commit_end)
    }

    /// Whether any decoder of the port is committed (`cxl_num_decoders_committed()`; the caller
    /// holds `cxl_rwsem.region`, which that asserts).
    pub(crate) fn has_committed(&self, _: &impl RegionLocked) -> bool {
        // SAFETY: `self` is live; the lock it asserts is held.
        unsafe { c::cxl_num_decoders_committed(self.raw()) > 0 }
    }

    /// `f` of each endpoint decoder of this port, in id order, until it returns `false`
    /// (`device_for_each_child()`). The decoders stay registered while `cxl_rwsem.region` is held:
    /// their unregistration takes it.
    pub(crate) fn for_each_endpoint_decoder<'a, F: FnMut(&'a EndpointDecoder) -> bool>(
        &'a self,
        _: &'a impl RegionLocked,
        mut f: F,
    ) {
        /// # Safety
        ///
        /// Called by `device_for_each_child()` with a child of a live port and the `F` below.
        unsafe extern "C" fn visit<'a, F: FnMut(&'a EndpointDecoder) -> bool>(
            dev: *mut bindings::device,
            data: *mut c_void,
        ) -> i32 {
            // SAFETY: `dev` is a live child of the port.
            if !unsafe { c::is_endpoint_decoder(dev.cast()) } {
                return 0;
            }
            // SAFETY: An endpoint decoder, live for the call; `data` is the closure, borrowed
            // mutably by the walk alone.
            let go = unsafe {
                (*data.cast::<F>())(EndpointDecoder::from_raw(c::to_cxl_endpoint_decoder(
                    dev.cast(),
                )))
            };
            i32::from(!go)
        }
        // SAFETY: The port is live; `visit` uses `f` during the walk only.
        unsafe {
            bindings::device_for_each_child(
                (&raw mut (*self.raw()).dev).cast(),
                (&raw mut f).cast(),
                Some(visit::<F>),
            )
        };
    }

    /// # Safety
    ///
    /// `dev` is the device of a live CXL port that outlives `'a`.
    pub(crate) unsafe fn from_dev<'a>(dev: *mut bindings::device) -> &'a Port {
        // SAFETY: Per the contract.
        unsafe { &*c::to_cxl_port(dev.cast()).cast::<Port>() }
    }

    /// The parent port (`to_cxl_port(port->dev.parent)`); `None` for the root.
    pub(crate) fn parent(&self) -> Option<&Port> {
        if self.is_root() {
            return None;
        }
        let parent = field!(self, dev.parent);
        // SAFETY: Every CXL port but the root has a CXL port as parent, which outlives it.
        unsafe { Port::opt(c::to_cxl_port(parent)) }
    }

    /// `is_cxl_root()`.
    pub(crate) fn is_root(&self) -> bool {
        ptr::eq(field!(self, uport_dev), field!(self, dev.parent))
    }

    /// The port's name.
    pub(crate) fn name(&self) -> &CStr {
        let name = field!(self, dev.kobj.name);
        // SAFETY: Registered ports have a name that lives as long as they do.
        unsafe { CStr::from_char_ptr(name) }
    }

    /// The memdev's link through this port (`cxl_ep_load()`).
    pub(crate) fn ep(&self, md: &Memdev) -> Option<&Ep> {
        // SAFETY: `endpoints` is keyed by the memdev's device; entries live while the memdev is
        // attached below this port, which the caller's lock ensures.
        unsafe {
            Ep::opt(
                bindings::xa_load(
                    (&raw mut (*self.raw()).endpoints).cast(),
                    key(&raw mut (*md.raw()).dev),
                )
                .cast(),
            )
        }
    }

    /// The downstream port of this port that leads to `dev` (`cxl_find_dport_by_dev()`).
    pub(crate) fn dport_by_dev(&self, dev: *mut bindings::device) -> Option<&Dport> {
        // SAFETY: `dports` is keyed by the dport device; dports live as long as their port.
        unsafe {
            Dport::opt(bindings::xa_load((&raw mut (*self.raw()).dports).cast(), key(dev)).cast())
        }
    }

    /// The host bridge device above this port.
    pub(crate) fn host_bridge(&self) -> *mut bindings::device {
        field!(self, host_bridge).cast()
    }

    /// Interleave capabilities of the port's HDM decoders (`struct cxl_hdm`, the port's driver
    /// data); `None` for a port without HDM decoders.
    pub(crate) fn hdm_caps(&self) -> Option<HdmCaps> {
        // SAFETY: A port with decoders is bound to `cxl_port`, whose driver data is its
        // `struct cxl_hdm`, set before any decoder is added and freed after they are removed.
        unsafe {
            let hdm =
                bindings::dev_get_drvdata((&raw mut (*self.raw()).dev).cast()).cast::<c::cxl_hdm>();
            (!hdm.is_null()).then(|| HdmCaps {
                ways_mask: (*hdm).iw_cap_mask as u64,
                address_mask: (*hdm).interleave_mask,
            })
        }
    }

    /// The region's reference at this port (`cxl_rr_load()`).
    pub(crate) fn region_ref<'a>(
        &'a self,
        r: &Region,
        _: &'a impl RegionLocked,
    ) -> Option<&'a RegionRef> {
        // SAFETY: `regions` is keyed by region pointer and changed only under `cxl_rwsem.region`
        // held for writing; entries live until `free_region_ref`.
        unsafe { RegionRef::opt(bindings::xa_load(self.regions(), key(r.as_raw())).cast()) }
    }

    /// The regions referenced at this port, in key order; `f` returns `false` to stop.
    pub(crate) fn for_each_region_ref(
        &self,
        _: &impl RegionLocked,
        f: impl FnMut(&RegionRef) -> bool,
    ) {
        // SAFETY: `self` is live; `regions` holds region references (see `region_ref`).
        unsafe { xa_for_each(self.regions(), f) };
    }

    /// A new region reference for `r` at this port (`alloc_region_ref()` without the HPA order
    /// check): `nr_targets` 1, no decoder yet. Freed by [`RegionRef::free`].
    pub(crate) fn alloc_region_ref<'a>(
        &'a self,
        r: &Region,
        _: &'a RegionWrite,
    ) -> Result<&'a RegionRef> {
        let regions = self.regions();
        let index = key(r.as_raw());
        // SAFETY: `regions` is initialized; its writers are serialized by `cxl_rwsem.region`,
        // held for writing.
        if !unsafe { bindings::xa_load(regions, index) }.is_null() {
            return Err(EBUSY);
        }
        let b = KBox::init(
            pin_init::init_zeroed::<Opaque<c::cxl_region_ref>>(),
            GFP_KERNEL,
        )?;
        let rr = KBox::into_raw(b).cast::<c::cxl_region_ref>();
        // SAFETY: `rr` is new and zeroed, seen by nobody until stored below; the port and the
        // region are live.
        unsafe {
            (*rr).port = self.raw();
            (*rr).region = r.as_raw();
            (*rr).nr_targets = 1;
            bindings::xa_init_flags((&raw mut (*rr).endpoints).cast(), 0);
        }
        // SAFETY: As above; the slot was checked free under the same lock.
        let old = unsafe { bindings::xa_store(regions, index, rr.cast(), bindings::GFP_KERNEL) };
        // SAFETY: `xa_store` returns the old entry or an error entry.
        if let Err(e) = to_result(unsafe { bindings::xa_err(old) }) {
            // SAFETY: Not stored: still ours alone, allocated above.
            drop(unsafe { KBox::from_raw(rr.cast::<Opaque<c::cxl_region_ref>>()) });
            return Err(e);
        }
        // SAFETY: Stored in the port's list, where it lives until `RegionRef::free`.
        Ok(unsafe { &*rr.cast::<RegionRef>() })
    }

    fn regions(&self) -> *mut bindings::xarray {
        // SAFETY: `self` is live; only the address of the field is taken.
        unsafe { (&raw mut (*self.raw()).regions).cast() }
    }

    /// Frees the port's reference to `r` (`free_region_ref()`), if it has one: the decoder is
    /// released from the region, the reference leaves the port's list and is freed. It takes the
    /// lock guard exclusively, so that no `&RegionRef` (each borrowed from the guard) outlives it.
    pub(crate) fn free_region_ref(&self, g: &mut RegionWrite, r: &Region) {
        let index = key(r.as_raw());
        // SAFETY: `regions` is initialized; its writers are serialized by `cxl_rwsem.region`,
        // held for writing; a stored entry is a reference made by `alloc_region_ref`.
        let rr = unsafe { bindings::xa_erase(self.regions(), index) }.cast::<c::cxl_region_ref>();
        if rr.is_null() {
            return;
        }
        {
            // SAFETY: Out of the list now, still allocated until freed below.
            let rr = unsafe { &*rr.cast::<RegionRef>() };
            if let Some(d) = rr.decoder() {
                d.clear_region(g, r);
            }
        }
        // SAFETY: Out of the list and no longer reachable: no reference to it lives (each was
        // borrowed from `g`, taken exclusively here); allocated as a `KBox` by `alloc_region_ref`.
        unsafe {
            bindings::xa_destroy((&raw mut (*rr).endpoints).cast());
            drop(KBox::from_raw(rr.cast::<Opaque<c::cxl_region_ref>>()));
        }
    }

    /// The first switch decoder of this port that can host a new region (`match_free_decoder()`):
    /// the next one to commit (id `commit_end + 1`), not reserved by a region, and every decoder
    /// below it enabled (no out-of-order shutdown).
    pub(crate) fn free_decoder<'a>(&'a self, _: &'a RegionWrite) -> Option<&'a PortDecoder> {
        // SAFETY: The port is live; the match callback only reads decoders under our lock.
        let dev = unsafe {
            bindings::device_find_child(
                (&raw mut (*self.raw()).dev).cast(),
                ptr::null(),
                Some(match_free_decoder),
            )
        };
        if dev.is_null() {
            return None;
        }
        // The decoder stays registered as long as the endpoint decoder that needs it, whose
        // unregistration takes `cxl_rwsem.region`; the extra reference is not needed (as in C).
        // SAFETY: `device_find_child` returned a referenced switch decoder.
        unsafe {
            bindings::put_device(dev);
            PortDecoder::opt(c::to_cxl_decoder(dev.cast()))
        }
    }
}

/// `check_commit_order()`: every decoder from the candidate down must be enabled.
///
/// # Safety
///
/// Called by `device_for_each_child_reverse_from()` with a decoder of a live port.
unsafe extern "C" fn check_commit_order(dev: *mut bindings::device, _: *mut c_void) -> i32 {
    // SAFETY: Called for children of a port, which are its decoders.
    let cxld = unsafe { c::to_cxl_decoder(dev.cast()) };
    // SAFETY: A live decoder.
    if unsafe { (*cxld).flags } & c::RCXL_DECODER_F_ENABLE == 0 {
        return EBUSY.to_errno();
    }
    0
}

/// `match_free_decoder()`.
///
/// # Safety
///
/// Called by `device_find_child()` with a child of a live port.
unsafe extern "C" fn match_free_decoder(dev: *mut bindings::device, _: *const c_void) -> i32 {
    // SAFETY: Called for each child of a live port.
    unsafe {
        if !c::is_switch_decoder(dev.cast()) {
            return 0;
        }
        let port = c::to_cxl_port((*dev).parent.cast());
        let cxld = c::to_cxl_decoder(dev.cast());
        if (*cxld).id != (*port).commit_end + 1 || !(*cxld).region.is_null() {
            return 0;
        }
        let rc = bindings::device_for_each_child_reverse_from(
            (*dev).parent,
            dev,
            ptr::null_mut(),
            Some(check_commit_order),
        );
        i32::from(rc == 0)
    }
}

impl Ep {
    fn next_raw(&self) -> *mut c::cxl_port {
        field!(self, next)
    }

    /// The next port down towards the memdev; `None` at the endpoint port.
    pub(crate) fn next(&self) -> Option<&Port> {
        let next = field!(self, next);
        // SAFETY: A child port outlives the `cxl_ep` that names it.
        unsafe { Port::opt(next) }
    }

    /// The downstream port the memdev is reached through.
    pub(crate) fn dport(&self) -> &Dport {
        let dport = field!(self, dport);
        // SAFETY: Set when the link is made; the dport outlives it.
        unsafe { &*dport.cast::<Dport>() }
    }
}

impl Dport {
    /// The name of the downstream port's device (`dev_name(dport->dport_dev)`).
    pub(crate) fn dev_name(&self) -> &CStr {
        let dev = field!(self, dport_dev);
        // SAFETY: `dport_dev` is a live, named device for as long as the dport.
        unsafe { CStr::from_char_ptr((*dev).kobj.name) }
    }

    /// # Safety
    ///
    /// `p` is null or a live dport for `'a`.
    pub(crate) unsafe fn from_raw<'a>(p: *mut c::cxl_dport) -> Option<&'a Dport> {
        // SAFETY: Per the contract.
        unsafe { Dport::opt(p) }
    }

    /// The port id a target list names it by.
    pub(crate) fn port_id(&self) -> i32 {
        field!(self, port_id)
    }
}

impl Memdev {
    /// The memdev's parent device (`cxlmd->dev.parent`: the PCI or platform device), on which
    /// region assembly reports.
    pub(crate) fn host(&self) -> &kernel::device::Device {
        let parent = field!(self, dev.parent);
        // SAFETY: A memdev's parent outlives it, and so the borrow.
        unsafe { kernel::device::Device::from_raw(parent.cast()) }
    }

    /// The raw pointer.
    pub(crate) fn as_raw(&self) -> *mut c::cxl_memdev {
        self.raw()
    }

    /// The memdev's name.
    pub(crate) fn name(&self) -> &CStr {
        let name = field!(self, dev.kobj.name);
        // SAFETY: A registered memdev has a name that lives as long as it does.
        unsafe { CStr::from_char_ptr(name) }
    }

    /// Traces what the host did with extent `e` of a Dynamic Capacity event record of kind
    /// `record` (the `cxl_region:cxl_dc_extent` event): `what` it did (and `why`, or ""), in
    /// region `region` (-1: none).
    pub(crate) fn trace_dc_extent(
        &self,
        region: i32,
        record: u8,
        e: &super::extent::Extent,
        what: &CStr,
        why: &CStr,
    ) {
        // SAFETY: `self` is live; the strings and the tag live for the call, which copies them.
        unsafe {
            glue::rcxl_trace_dc_extent(
                (&raw const (*self.raw()).dev).cast(),
                region,
                record,
                e.start,
                e.length,
                e.tag.as_ptr(),
                e.seq,
                what.as_char_ptr(),
                why.as_char_ptr(),
            )
        };
    }

    /// The memdev whose device is `dev`.
    ///
    /// # Safety
    ///
    /// `dev` is the device of a memdev (`is_cxl_memdev()`), live for `'a`.
    pub(crate) unsafe fn from_dev<'a>(dev: *mut bindings::device) -> &'a Memdev {
        // SAFETY: Per the function's contract, `dev` is embedded in a `struct cxl_memdev`.
        unsafe { &*kernel::container_of!(dev, c::cxl_memdev, dev).cast::<Memdev>() }
    }

    /// The DPA range `[start, end)` of partition `part` and whether it is shareable (its CDAT
    /// DSMAS entry says so), `None` if there is no such partition; `-ENODEV` once the memdev has
    /// lost its device state.
    pub(crate) fn part_range(&self, part: i32) -> Result<Option<((u64, u64), bool)>> {
        self.with_part(part, |p| {
            ((p.res.start, p.res.end.wrapping_add(1)), p.shareable)
        })
    }

    /// `f` of partition `part` (a copy, read under the memdev lock), `None` if there is no such
    /// partition; `-ENODEV` once the memdev has lost its device state.
    fn with_part<R>(
        &self,
        part: i32,
        f: impl FnOnce(&c::cxl_dpa_partition) -> R,
    ) -> Result<Option<R>> {
        self.with_state(|cxlds| {
            let Ok(part) = usize::try_from(part) else {
                return Ok(None);
            };
            // SAFETY: `with_state` passes the live device state; `nr_partitions` bounds `part`
            // and the partitions do not change after probe.
            let p = unsafe {
                (part < (*cxlds).nr_partitions as usize)
                    .then(|| ptr::read(&raw const (*cxlds).part[part]))
            };
            Ok(p.as_ref().map(f))
        })
    }

    /// # Safety
    ///
    /// `p` is a live memdev for `'a`.
    pub(crate) unsafe fn from_raw<'a>(p: *const c::cxl_memdev) -> &'a Memdev {
        // SAFETY: Per the contract; `Memdev` is transparent over the C structure.
        unsafe { &*p.cast::<Memdev>() }
    }

    /// The memdev's endpoint port (`cxlmd->endpoint`), `None` before `cxl_mem` added it. Read under
    /// `cxl_rwsem.region`, as the C reads it: the port's decoders cannot be unregistered
    /// meanwhile, and the port outlives them.
    pub(crate) fn endpoint<'a>(&'a self, _: &'a impl RegionLocked) -> Option<&'a Port> {
        let p = field!(self, endpoint);
        // SAFETY: See above.
        unsafe { Port::opt(p) }
    }

    /// Whether a driver is bound to the memdev (`cxlmd->dev.driver`, read once, as the C does).
    pub(crate) fn is_bound(&self) -> bool {
        !field!(self, dev.driver).is_null()
    }

    /// The DPA of partition `part` after its last allocation: `(offset, length, mode)`, the whole
    /// partition when nothing is allocated in it; `None` if there is no such partition,
    /// `-ENODEV` once the memdev has lost its device state. The allocations are guarded by
    /// `cxl_rwsem.dpa`, held.
    pub(crate) fn part_tail(
        &self,
        part: usize,
        _: &impl Held<DpaSem>,
    ) -> Result<Option<(u64, u64, u32)>> {
        self.with_state(|cxlds| {
            // SAFETY: `with_state` passes the live device state; `nr_partitions` bounds `part`;
            // the partitions' children (DPA allocations) are guarded by `cxl_rwsem.dpa`, held.
            unsafe {
                if part >= (*cxlds).nr_partitions as usize {
                    return Ok(None);
                }
                let p = &raw const (*cxlds).part[part];
                let res = &raw const (*p).res;
                let mut last = (*res).child;
                while !last.is_null() && !(*last).sibling.is_null() {
                    last = (*last).sibling;
                }
                let offset = if last.is_null() {
                    (*res).start
                } else {
                    (*last).end.wrapping_add(1)
                };
                let length = (*res).end.wrapping_sub(offset).wrapping_add(1);
                Ok(Some((offset, length, (*p).mode)))
            }
        })
    }

    /// Whether the device can both inject and clear poison (`cxl_memdev_has_poison_cmd()`);
    /// `false` once the memdev has lost its device state.
    pub(crate) fn can_inject_and_clear_poison(&self) -> bool {
        self.with_state(|_| {
            // SAFETY: `self` is live and keeps its device state while `with_state` runs.
            Ok(unsafe {
                c::cxl_memdev_has_poison_cmd(
                    self.raw(),
                    c::poison_cmd_enabled_bits_CXL_POISON_ENABLED_INJECT,
                ) && c::cxl_memdev_has_poison_cmd(
                    self.raw(),
                    c::poison_cmd_enabled_bits_CXL_POISON_ENABLED_CLEAR,
                )
            })
        })
        .unwrap_or(false)
    }

    /// Injects poison at `dpa` (`cxl_inject_poison_locked()`), or clears it
    /// (`cxl_clear_poison_locked()`), with both `cxl_rwsem.region` and `cxl_rwsem.dpa` held, as
    /// they assert.
    pub(crate) fn poison_locked(
        &self,
        dpa: u64,
        clear: bool,
        _: &(impl RegionLocked + Held<DpaSem>),
    ) -> Result {
        self.with_state(|_| {
            // SAFETY: `self` is live and keeps its device state while `with_state` runs; the
            // caller holds both semaphores.
            to_result(unsafe {
                if clear {
                    c::cxl_clear_poison_locked(self.raw(), dpa)
                } else {
                    c::cxl_inject_poison_locked(self.raw(), dpa)
                }
            })
        })
    }

    /// Reads the device's poison list for `[offset, offset + len)` into `cxl_poison` trace
    /// records, attributed to `region` (`cxl_mem_get_poison()`); `-ENODEV` once the memdev has
    /// lost its device state.
    pub(crate) fn get_poison(&self, offset: u64, len: u64, region: Option<&Region>) -> Result {
        let cxlr = region.map_or(ptr::null_mut(), |r| r.as_raw());
        self.with_state(|_| {
            // SAFETY: `self` is live and keeps its device state while `with_state` runs; the
            // region, if any, is live for the call.
            to_result(unsafe { c::cxl_mem_get_poison(self.raw(), offset, len, cxlr) })
        })
    }

    /// Whether the device is a restricted CXL device (`cxlds->rcd`), read as the C region code
    /// reads it: without `cxl_memdev_rwsem`. `false` once the memdev has lost its device state
    /// (shut down), when no decoder below it will be programmed again.
    ///
    /// # Safety
    ///
    /// `self` is the memdev of an endpoint decoder attached to a region, and `cxl_rwsem.region`
    /// is held (so the decoder stays attached).
    pub(crate) unsafe fn is_rcd_attached(&self) -> bool {
        // SAFETY: `self` is live (per the contract, its decoder is attached). `cxlds` is cleared
        // by `cxl_memdev_shutdown()` under `cxl_memdev_rwsem`, so it is read once (READ_ONCE);
        // a non-null state is still allocated: it is devres of the PCI device, made before the
        // action that unregisters the memdev, so it is freed only after that action, whose
        // teardown of the endpoint detaches this decoder under `cxl_rwsem.region`, held here.
        unsafe {
            let cxlds = ptr::read_volatile(&raw const (*self.raw()).cxlds);
            !cxlds.is_null() && (*cxlds).rcd
        }
    }

    /// Whether an accelerator driver attached to the memdev manages its regions (set when the
    /// memdev is created, constant).
    pub(crate) fn has_attach(&self) -> bool {
        !field!(self, attach).is_null()
    }

    /// Runs `f` on the memdev's device state with `cxl_memdev_rwsem` held for reading:
    /// `cxl_memdev_shutdown()` clears the state with it held for writing, so the state cannot go
    /// away meanwhile. `-ENODEV` when it is gone already.
    fn with_state<R>(&self, f: impl FnOnce(*mut c::cxl_dev_state) -> Result<R>) -> Result<R> {
        self.with_state_locked(&ReadGuard::<MemdevSem>::lock(), f)
    }

    /// [`Self::with_state`] with `cxl_memdev_rwsem` already held for reading.
    fn with_state_locked<R>(
        &self,
        _: &ReadGuard<MemdevSem>,
        f: impl FnOnce(*mut c::cxl_dev_state) -> Result<R>,
    ) -> Result<R> {
        // Read once: shutdown writes it, but not while the lock is held for reading.
        // SAFETY: `self` is live; the field is only written under the lock, held for reading.
        let cxlds = unsafe { ptr::read(&raw const (*self.raw()).cxlds) };
        if cxlds.is_null() {
            return Err(ENODEV);
        }
        f(cxlds)
    }

    /// Runs `f` on the memdev's [`MemdevState`] while it cannot be shut down (`-ENODEV` once it
    /// is), if the device has Dynamic Capacity (`-EINVAL` if not).
    pub(crate) fn with_dc<R>(&self, f: impl FnOnce(&MemdevState) -> Result<R>) -> Result<R> {
        self.with_dc_locked(&ReadGuard::<MemdevSem>::lock(), f)
    }

    /// [`Self::with_dc`] with `cxl_memdev_rwsem` already held for reading.
    fn with_dc_locked<R>(
        &self,
        g: &ReadGuard<MemdevSem>,
        f: impl FnOnce(&MemdevState) -> Result<R>,
    ) -> Result<R> {
        self.with_state_locked(g, |cxlds| {
            // SAFETY: `with_state` passes the live device state.
            if !unsafe { glue::rcxl_dcd_supported(cxlds.cast()) } {
                return Err(EINVAL);
            }
            // SAFETY: A device with Dynamic Capacity is a memory device, whose state is the first
            // field of its `struct cxl_memdev_state`; `with_state` keeps it (and the bound
            // device) alive for the call.
            f(unsafe { MemdevState::from_raw(cxlds.cast()) })
        })
    }

    /// The mode of partition `part`, `None` if there is no such partition; `-ENODEV` once the
    /// memdev has lost its device state.
    pub(crate) fn part_mode(&self, part: i32) -> Result<Option<u32>> {
        self.with_part(part, |p| p.mode)
    }
}

impl EndpointDecoder {
    /// What a Dynamic Capacity region asks of a target before any other check and without the
    /// region lock (the upstream `store_targetN()`): that its memdev still has its device state
    /// (`-ENODEV`) and Dynamic Capacity (`-EINVAL`).
    ///
    /// The decoder's reference does not keep its memdev: `cxl_memdev_unregister()` deletes the
    /// endpoint decoders (`cxl_mem` unbinds), then clears the state under `cxl_memdev_rwsem` held
    /// for writing and drops the memdev, which may free it while the decoder is still held. So the
    /// decoder is asked first, under that lock held for reading: still registered, its memdev has
    /// not reached the shutdown, which waits for the lock; deleted, the memdev may be gone, and is
    /// not touched (`-ENODEV`, as for a decoder that is gone).
    pub(crate) fn check_dcd(&self) -> Result {
        let g = ReadGuard::<MemdevSem>::lock();
        // SAFETY: The decoder is live (referenced); only the address of its device is taken.
        if !unsafe { glue::rcxl_device_is_registered((&raw mut (*self.raw()).cxld.dev).cast()) } {
            return Err(ENODEV);
        }
        self.memdev().with_dc_locked(&g, |_| Ok(()))
    }

    /// The endpoint decoder named `name` on the CXL bus, held until the returned guard drops
    /// (`bus_find_device_by_name()` + `is_endpoint_decoder()`): `-ENODEV` when there is no such
    /// device, `-EINVAL` when it is not an endpoint decoder.
    pub(crate) fn find(name: &[u8]) -> Result<ARef<EndpointDecoder>> {
        // `bus_find_device_by_name()` compares with `sysfs_streq()`, which stops at a NUL; the
        // store buffer is NUL-terminated by sysfs.
        // SAFETY: `name` is NUL-terminated (see above); the bus is registered.
        let dev = unsafe {
            bindings::bus_find_device(
                (&raw const c::cxl_bus_type).cast(),
                ptr::null_mut(),
                name.as_ptr().cast(),
                Some(bindings::device_match_name),
            )
        };
        if dev.is_null() {
            return Err(ENODEV);
        }
        // SAFETY: `dev` is a referenced, live device of the CXL bus.
        if !unsafe { c::is_endpoint_decoder(dev.cast()) } {
            // SAFETY: Drops the reference `bus_find_device` took.
            unsafe { bindings::put_device(dev) };
            return Err(EINVAL);
        }
        // SAFETY: As above, an endpoint decoder; never NULL for one.
        let p = unsafe { c::to_cxl_endpoint_decoder(dev.cast()) };
        let p = NonNull::new(p.cast::<EndpointDecoder>()).ok_or(ENODEV)?;
        // SAFETY: The count `bus_find_device` took is handed to the `ARef`.
        Ok(unsafe { ARef::from_raw(p) })
    }

    /// # Safety
    ///
    /// `p` is a live endpoint decoder for `'a`.
    pub(crate) unsafe fn from_raw<'a>(p: *mut c::cxl_endpoint_decoder) -> &'a Self {
        // SAFETY: Per the contract.
        unsafe { &*p.cast::<Self>() }
    }

    /// The raw pointer, for the region's target array.
    pub(crate) fn as_raw(&self) -> *mut c::cxl_endpoint_decoder {
        self.raw()
    }

    /// The device name.
    pub(crate) fn name(&self) -> &CStr {
        self.decoder().name()
    }

    /// The endpoint port (`cxled_to_port()`).
    pub(crate) fn port(&self) -> &Port {
        let parent = field!(self, cxld.dev.parent);
        // SAFETY: An endpoint decoder's parent is its endpoint port, which outlives it.
        unsafe { &*c::to_cxl_port(parent).cast::<Port>() }
    }

    /// The memdev (`cxled_to_memdev()`).
    pub(crate) fn memdev(&self) -> &Memdev {
        let uport = field!(self.port(), uport_dev).cast::<bindings::device>();
        // SAFETY: The endpoint port's `uport_dev` is the memdev's device. A reference to the
        // decoder does not keep it (see `check_dcd`), but the memdev goes only after its endpoint
        // decoders are deleted, and every caller holds the decoder live past that point: attached
        // to a region (detached under `cxl_rwsem.region` first), with its partition read
        // non-negative under `cxl_rwsem.dpa` (released under it first), checked registered under
        // `cxl_memdev_rwsem` (`check_dcd`), or from its port's probe.
        unsafe { &*kernel::container_of!(uport, c::cxl_memdev, dev).cast::<Memdev>() }
    }

    /// The ports a region decodes through for this decoder, from the endpoint port up to the one
    /// below the root (the C loops `for (iter = cxled_to_port(cxled); !is_cxl_root(iter); ...)`).
    pub(crate) fn ports_up(&self) -> impl Iterator<Item = &Port> {
        core::iter::successors(Some(self.port()), |p| p.parent()).take_while(|p| !p.is_root())
    }

    /// The decoder as the endpoint port's region decoder.
    pub(crate) fn decoder(&self) -> &PortDecoder {
        // SAFETY: `PortDecoder` is transparent over the embedded `cxld`.
        unsafe { &*(&raw mut (*self.raw()).cxld).cast::<PortDecoder>() }
    }

    /// The partition index, negative once the decoder is being torn down.
    pub(crate) fn part(&self, _: &impl RegionLocked) -> i32 {
        field!(self, part)
    }

    /// The partition index read without the lock (`READ_ONCE(cxled->part)`, as
    /// `construct_region()` does): a snapshot that may turn negative at any time.
    pub(crate) fn part_unlocked(&self) -> i32 {
        // SAFETY: `self` is live; an aligned `int` read once, as READ_ONCE.
        unsafe { ptr::read_volatile(&raw const (*self.raw()).part) }
    }

    /// The decoder's state for region assembly (`cxled->state`, written under
    /// `cxl_rwsem.region` held for writing, or before the decoder is added).
    pub(crate) fn state(&self, _: &impl RegionLocked) -> DecoderState {
        match field!(self, state) {
            c::cxl_decoder_state_CXL_DECODER_STATE_AUTO => DecoderState::Auto,
            c::cxl_decoder_state_CXL_DECODER_STATE_AUTO_STAGED => DecoderState::AutoStaged,
            _ => DecoderState::Manual,
        }
    }

    /// Sets the state.
    pub(crate) fn set_state(&self, _: &RegionWrite, state: DecoderState) {
        let raw = match state {
            DecoderState::Manual => c::cxl_decoder_state_CXL_DECODER_STATE_MANUAL,
            DecoderState::Auto => c::cxl_decoder_state_CXL_DECODER_STATE_AUTO,
            DecoderState::AutoStaged => c::cxl_decoder_state_CXL_DECODER_STATE_AUTO_STAGED,
        };
        // SAFETY: Guarded by `cxl_rwsem.region`, held for writing.
        unsafe { (*self.raw()).state = raw };
    }

    /// Marks the decoder dead (`cxled->part = -1`, `DETACH_INVALIDATE`).
    pub(crate) fn invalidate(&self, _: &RegionWrite) {
        // SAFETY: Guarded by `cxl_rwsem.region`, held for writing.
        unsafe { (*self.raw()).part = -1 };
    }

    /// The interleave position in its region.
    pub(crate) fn pos(&self, _: &impl RegionLocked) -> i32 {
        field!(self, pos)
    }

    /// Sets the interleave position.
    pub(crate) fn set_pos(&self, _: &RegionWrite, pos: i32) {
        // SAFETY: Guarded by `cxl_rwsem.region`, held for writing.
        unsafe { (*self.raw()).pos = pos };
    }

    /// The size of the DPA allocation, 0 without one (caller holds `cxl_rwsem.dpa`).
    pub(crate) fn dpa_size(&self, _: &impl Held<DpaSem>) -> u64 {
        let res = field!(self, dpa_res);
        if res.is_null() {
            return 0;
        }
        // SAFETY: `dpa_res` is guarded by `cxl_rwsem.dpa`, held.
        unsafe { (*res).end - (*res).start + 1 }
    }

    /// Whether the decoder has a DPA allocation.
    pub(crate) fn has_dpa(&self, _: &impl Held<DpaSem>) -> bool {
        !field!(self, dpa_res).is_null()
    }

    /// The DPA skipped before the allocation (`cxled->skip`, guarded by `cxl_rwsem.dpa`).
    pub(crate) fn skip(&self, _: &impl Held<DpaSem>) -> u64 {
        field!(self, skip)
    }

    /// The DPA allocation, `[start, end)`, `None` without one (caller holds `cxl_rwsem.dpa`).
    pub(crate) fn dpa_range(&self, _: &impl Held<DpaSem>) -> Option<(u64, u64)> {
        let res = field!(self, dpa_res);
        // SAFETY: `dpa_res` is guarded by `cxl_rwsem.dpa`, held.
        (!res.is_null()).then(|| unsafe { ((*res).start, (*res).end.wrapping_add(1)) })
    }
}

/// How an endpoint decoder stands towards region assembly (`enum cxl_decoder_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecoderState {
    /// Configured by user space through sysfs.
    Manual,
    /// Found committed by platform firmware, for a region to assemble.
    Auto,
    /// Recorded in an assembling region's target list, not yet attached.
    AutoStaged,
}

// SAFETY: A port is counted by its device's reference count.
unsafe impl AlwaysRefCounted for Port {
    fn inc_ref(&self) {
        // SAFETY: The port is live, so its device has a non-zero count.
        unsafe { bindings::get_device(&raw mut (*self.raw()).dev) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a count on the live port.
        unsafe { bindings::put_device(&raw mut (*obj.as_ref().raw()).dev) };
    }
}

// SAFETY: A decoder is counted by its device's reference count.
unsafe impl AlwaysRefCounted for PortDecoder {
    fn inc_ref(&self) {
        // SAFETY: The decoder is live, so its device has a non-zero count.
        unsafe { bindings::get_device(&raw mut (*self.raw()).dev) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a count on the live decoder.
        unsafe { bindings::put_device(&raw mut (*obj.as_ref().raw()).dev) };
    }
}

/// The endpoint ports of the CXL bus, referenced, in bus order (registration order).
pub(crate) fn endpoint_ports() -> Result<KVec<ARef<Port>>> {
    /// # Safety
    ///
    /// Called by `bus_for_each_dev()` with a referenced device of the bus and the vector below.
    unsafe extern "C" fn visit(dev: *mut bindings::device, data: *mut c_void) -> i32 {
        // SAFETY: A live device of the CXL bus.
        if !unsafe { c::is_cxl_port(dev.cast()) } {
            return 0;
        }
        // SAFETY: A live port, for the call.
        let port = unsafe { Port::from_dev(dev) };
        if port.endpoint_memdev().is_none() {
            return 0;
        }
        // SAFETY: `data` is the vector, borrowed mutably by the walk alone.
        let v = unsafe { &mut *data.cast::<KVec<ARef<Port>>>() };
        match v.push(port.into(), GFP_KERNEL) {
            Ok(()) => 0,
            Err(_) => ENOMEM.to_errno(),
        }
    }
    let mut v = KVec::new();
    // SAFETY: The bus is registered; `visit` uses `v` during the walk only.
    let rc = unsafe {
        bindings::bus_for_each_dev(
            (&raw const c::cxl_bus_type).cast(),
            ptr::null_mut(),
            (&raw mut v).cast(),
            Some(visit),
        )
    };
    to_result(rc)?;
    Ok(v)
}

/// The data of `match_by_range()`: the range, and how a root decoder compares with it.
struct RangeMatch {
    range: Range,
    // Root decoders match a range they contain, other switch decoders the range exactly; with
    // `cache` set, switch decoders match `[start + cache, end]` (`spa_maps_hpa()`).
    cache: u64,
    root_contains: bool,
    root_only: bool,
}

/// `match_switch_decoder_by_range()`, `match_auto_decoder()` and `match_root_decoder()`.
///
/// # Safety
///
/// Called by `device_find_child()` with a child of a live port and a [`RangeMatch`].
unsafe extern "C" fn match_by_range(dev: *mut bindings::device, data: *const c_void) -> i32 {
    // SAFETY: Per the function's contract.
    let m = unsafe { &*data.cast::<RangeMatch>() };
    // SAFETY: A live child of a port.
    if !unsafe { c::is_switch_decoder(dev.cast()) } {
        return 0;
    }
    // SAFETY: As above.
    let is_root = unsafe { c::is_root_decoder(dev.cast()) };
    if m.root_only && !is_root {
        return 0;
    }
    // SAFETY: A switch (or root) decoder embeds its `cxl_decoder`; its range is read under the
    // caller's lock, or is constant (root decoders).
    let r = unsafe { (*c::to_cxl_decoder(dev.cast())).hpa_range };
    let hit = if is_root && m.root_contains {
        Range {
            start: r.start,
            end: r.end,
        }
        .contains(&m.range)
    } else {
        r.start == m.range.start.wrapping_add(m.cache) && r.end == m.range.end
    };
    i32::from(hit)
}

impl Port {
    /// The name of the port's upstream device (`dev_name(port->uport_dev)`).
    pub(crate) fn uport_name(&self) -> &CStr {
        let uport = field!(self, uport_dev).cast::<bindings::device>();
        // SAFETY: `uport_dev` is a live, named device for as long as the port.
        unsafe { CStr::from_char_ptr((*uport).kobj.name) }
    }

    /// The CXL root port above this port (`find_cxl_root()`, without the reference: the root
    /// outlives its descendants).
    pub(crate) fn root(&self) -> &Port {
        let mut root = self;
        while let Some(p) = root.parent() {
            root = p;
        }
        root
    }

    /// Whether the CXL root above this port translates addresses for its windows
    /// (`cxl_root->ops.translation_setup_root`: set only by the AMD address translation driver,
    /// which needs the built-in region code).
    pub(crate) fn root_translates(&self) -> bool {
        // SAFETY: The root port is the `port` of a live `struct cxl_root`.
        unsafe {
            let cxl_root = kernel::container_of!(self.root().raw(), c::cxl_root, port);
            (*cxl_root).ops.translation_setup_root.is_some()
        }
    }

    /// The port's downstream port in its parent (`port->parent_dport`, constant).
    pub(crate) fn parent_dport(&self) -> Option<&Dport> {
        let d = field!(self, parent_dport);
        // SAFETY: The parent dport outlives the port.
        unsafe { Dport::opt(d) }
    }

    /// Whether the port is bound to its driver (`port->dev.driver`); meaningful under the port's
    /// device lock.
    pub(crate) fn is_bound(&self) -> bool {
        !field!(self, dev.driver).is_null()
    }

    /// Runs `f` with the port's device lock held (`device_lock()`), as the port's probe and
    /// removal hold it.
    pub(crate) fn with_device_lock<R>(&self, f: impl FnOnce() -> R) -> R {
        // SAFETY: The port's device is live and initialized.
        unsafe { super::with_device_locked(&raw mut (*self.raw()).dev, f) }
    }

    /// The decoder of this port whose range is `range` (a root decoder: that contains it), with
    /// `cache` bytes of extended linear cache in front of a switch decoder's range, referenced
    /// (`device_find_child()` with `match_switch_decoder_by_range()` / `match_auto_decoder()`).
    pub(crate) fn decoder_by_range(&self, range: Range, cache: u64) -> Option<ARef<PortDecoder>> {
        self.find_decoder(&RangeMatch {
            range,
            cache,
            root_contains: true,
            root_only: false,
        })
    }

    /// The root decoder of this (root) port whose window contains `range`, referenced
    /// (`match_root_decoder()`).
    pub(crate) fn root_decoder_for(
        &self,
        range: Range,
    ) -> Option<ARef<super::region::RootDecoder>> {
        let d = self.find_decoder(&RangeMatch {
            range,
            cache: 0,
            root_contains: true,
            root_only: true,
        })?;
        let p = ARef::into_raw(d).cast::<c::cxl_decoder>();
        // SAFETY: A root decoder (matched by `root_only`) embeds this decoder in its
        // `cxlsd.cxld`; the count taken by the find is handed to the new `ARef`.
        unsafe {
            let rd = c::to_cxl_root_decoder(&raw mut (*p.as_ptr()).dev);
            Some(ARef::from_raw(NonNull::new_unchecked(rd).cast()))
        }
    }

    fn find_decoder(&self, m: &RangeMatch) -> Option<ARef<PortDecoder>> {
        // SAFETY: The port is live; `match_by_range` reads `m` during the call only.
        let dev = unsafe {
            bindings::device_find_child(
                (&raw mut (*self.raw()).dev).cast(),
                ptr::from_ref(m).cast(),
                Some(match_by_range),
            )
        };
        if dev.is_null() {
            return None;
        }
        // SAFETY: A referenced switch decoder; the count is handed to the `ARef`.
        unsafe {
            let p = c::to_cxl_decoder(dev.cast());
            Some(ARef::from_raw(NonNull::new_unchecked(p).cast()))
        }
    }
}

// SAFETY: A memdev is counted by its device's reference count.
unsafe impl AlwaysRefCounted for Memdev {
    fn inc_ref(&self) {
        // SAFETY: The memdev is live, so its device has a non-zero count.
        unsafe { bindings::get_device(&raw mut (*self.raw()).dev) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a count on the live memdev.
        unsafe { bindings::put_device(&raw mut (*obj.as_ref().raw()).dev) };
    }
}

// SAFETY: An endpoint decoder is counted by its device's reference count.
unsafe impl AlwaysRefCounted for EndpointDecoder {
    fn inc_ref(&self) {
        // SAFETY: The decoder is live, so its device has a non-zero count.
        unsafe { bindings::get_device(&raw mut (*self.raw()).cxld.dev) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a count on the live decoder.
        unsafe { bindings::put_device(&raw mut (*obj.as_ref().raw()).cxld.dev) };
    }
}

// SAFETY: The decoder attributes are only put on switch and endpoint decoders, which embed their
// `struct cxl_decoder` and its device.
unsafe impl sysfs::Object for PortDecoder {
    unsafe fn from_dev<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: Per the trait's contract, `dev` is a live decoder for `'a`.
        unsafe { Self::from_raw(c::to_cxl_decoder(dev)) }
    }
}

impl PortDecoder {
    /// # Safety
    ///
    /// `p` is a live decoder for `'a`.
    pub(crate) unsafe fn from_raw<'a>(p: *mut c::cxl_decoder) -> &'a Self {
        // SAFETY: Per the contract; `Self` is transparent over the C type.
        unsafe { &*p.cast::<Self>() }
    }

    /// The decoder's id at its port (constant).
    pub(crate) fn id(&self) -> i32 {
        field!(self, id)
    }

    /// The device name.
    pub(crate) fn name(&self) -> &CStr {
        let name = field!(self, dev.kobj.name);
        // SAFETY: Registered decoders have a name that lives as long as they do.
        unsafe { CStr::from_char_ptr(name) }
    }

    /// Whether the decoder is assigned to a region.
    pub(crate) fn has_region(&self, _: &impl RegionLocked) -> bool {
        !field!(self, region).is_null()
    }

    /// The region this decoder is assigned to. Only this module assigns decoders, so it is one
    /// of ours; it stays live while it holds the decoder, which needs the caller's lock to end.
    pub(crate) fn region<'a>(&'a self, _: &'a impl RegionLocked) -> Option<&'a Region> {
        let r = field!(self, region);
        // SAFETY: Per the above.
        (!r.is_null()).then(|| unsafe { Region::from_raw(r) })
    }

    /// Assigns the decoder to `r`, holding a reference on the region (`cxl_rr_ep_add()`).
    pub(crate) fn set_region(&self, _: &RegionWrite, r: &Region) {
        // SAFETY: Guarded by `cxl_rwsem.region`, held for writing; the region is live.
        unsafe {
            (*self.raw()).region = r.as_raw();
            bindings::get_device(r.dev_raw());
        }
    }

    /// Releases the decoder from `r` (`cxl_rr_free_decoder()`).
    pub(crate) fn clear_region(&self, _: &RegionWrite, r: &Region) {
        if !ptr::eq(field!(self, region), r.as_raw()) {
            return;
        }
        // SAFETY: As in `set_region`; drops the reference it took.
        unsafe {
            (*self.raw()).region = ptr::null_mut();
            bindings::put_device(r.dev_raw());
        }
    }

    /// `CXL_DECODER_F_*` flags.
    pub(crate) fn flags(&self) -> usize {
        field!(self, flags)
    }

    /// The decoder's target type (`CXL_DECODER_DEVMEM`/`HOSTONLYMEM`).
    pub(crate) fn target_type(&self) -> u32 {
        field!(self, target_type)
    }

    /// Sets the target type.
    pub(crate) fn set_target_type(&self, _: &RegionWrite, t: u32) {
        // SAFETY: Guarded by `cxl_rwsem.region`, held for writing.
        unsafe { (*self.raw()).target_type = t };
    }

    /// Interleave ways and granularity as programmed.
    pub(crate) fn interleave(&self) -> Interleave {
        Interleave {
            ways: field!(self, interleave_ways),
            granularity: field!(self, interleave_granularity),
        }
    }

    /// The decoder's HPA range (written by region code under `cxl_rwsem.region` held for
    /// writing, or at enumeration).
    pub(crate) fn hpa_range(&self, _: &impl RegionLocked) -> Range {
        let r = field!(self, hpa_range);
        Range {
            start: r.start,
            end: r.end,
        }
    }

    /// Whether the decoder is enabled (`CXL_DECODER_F_ENABLE`: committed).
    pub(crate) fn is_enabled(&self) -> bool {
        self.flags() & c::RCXL_DECODER_F_ENABLE != 0
    }

    /// Programs ways, granularity and HPA range (not yet committed to hardware).
    pub(crate) fn set_decode(&self, _: &RegionWrite, ways: i32, gran: i32, hpa: Range) {
        // SAFETY: Guarded by `cxl_rwsem.region`, held for writing.
        unsafe {
            (*self.raw()).interleave_ways = ways;
            (*self.raw()).interleave_granularity = gran;
            (*self.raw()).hpa_range = bindings::range {
                start: hpa.start,
                end: hpa.end,
            };
        }
    }

    /// Clears the HPA range.
    pub(crate) fn clear_hpa(&self, _: &RegionWrite) {
        // SAFETY: Guarded by `cxl_rwsem.region`, held for writing.
        unsafe {
            (*self.raw()).hpa_range = bindings::range {
                start: 0,
                end: u64::MAX,
            }
        };
    }

    /// Whether this is an endpoint decoder.
    pub(crate) fn is_endpoint(&self) -> bool {
        // SAFETY: A live decoder device.
        unsafe { c::is_endpoint_decoder(&raw mut (*self.raw()).dev) }
    }

    /// The memdev of an endpoint decoder.
    pub(crate) fn endpoint_memdev(&self) -> Option<&Memdev> {
        self.is_endpoint().then(|| {
            // SAFETY: Checked to be an endpoint decoder, which embeds this decoder.
            unsafe {
                EndpointDecoder::from_raw(c::to_cxl_endpoint_decoder(&raw mut (*self.raw()).dev))
            }
            .memdev()
        })
    }

    /// Whether this is a switch decoder (has a target list).
    pub(crate) fn is_switch(&self) -> bool {
        // SAFETY: A live decoder device.
        unsafe { c::is_switch_decoder(&raw mut (*self.raw()).dev) }
    }

    fn switch(&self) -> Option<*mut c::cxl_switch_decoder> {
        // SAFETY: A live decoder device, checked to be a switch decoder.
        self.is_switch()
            .then(|| unsafe { c::to_cxl_switch_decoder(&raw mut (*self.raw()).dev) })
    }

    /// The size of the switch decoder's target list, 0 for an endpoint decoder.
    pub(crate) fn nr_targets(&self) -> i32 {
        // SAFETY: `nr_targets` is set at allocation and constant.
        self.switch().map_or(0, |sd| unsafe { (*sd).nr_targets })
    }

    /// Target `i` of the switch decoder.
    pub(crate) fn target(&self, _: &impl RegionLocked, i: usize) -> Option<&Dport> {
        let sd = self.switch()?;
        // SAFETY: `target[]` has `nr_targets` entries; guarded by `cxl_rwsem.region`.
        unsafe {
            if i >= (*sd).nr_targets as usize {
                return None;
            }
            Dport::opt(*(*sd).target.as_ptr().add(i))
        }
    }

    /// Sets target `i` of the switch decoder and its port id in `target_map`.
    pub(crate) fn set_target(&self, _: &RegionWrite, i: usize, dport: &Dport) -> Result {
        let sd = self.switch().ok_or(ENXIO)?;
        // SAFETY: As in `target`, held for writing; `target_map` has 16 entries and
        // `nr_targets` is at most that.
        unsafe {
            if i >= (*sd).nr_targets as usize || i >= (*sd).cxld.target_map.len() {
                return Err(ENXIO);
            }
            *(*sd).target.as_mut_ptr().add(i) = dport.raw();
            (*sd).cxld.target_map[i] = dport.port_id() as u32;
        }
        Ok(())
    }

    /// Programs and commits the decoder (`cxld->commit`); `None` when it has no commit op.
    pub(crate) fn commit(&self, _: &RegionWrite) -> Option<Result> {
        let f = field!(self, commit)?;
        // SAFETY: The core's commit op, called under `cxl_rwsem.region` held for writing, as
        // it asserts.
        Some(to_result(unsafe { f(self.raw()) }))
    }

    /// Resets the decoder (`cxld->reset`); does nothing without a reset op.
    pub(crate) fn reset(&self, _: &RegionWrite) {
        if let Some(f) = field!(self, reset) {
            // SAFETY: As in `commit`.
            unsafe { f(self.raw()) };
        }
    }
}

impl RegionRef {
    /// The region's HPA range start, if it has one (for the HPA order check).
    pub(crate) fn region_hpa_start(&self, _: &impl RegionLocked) -> Option<u64> {
        let region = field!(self, region);
        // SAFETY: The region is live while referenced; params under `cxl_rwsem.region`.
        unsafe {
            let res = (*region).params.res;
            (!res.is_null()).then(|| (*res).start)
        }
    }

    /// The region's name.
    pub(crate) fn region_name(&self) -> &CStr {
        let region = field!(self, region);
        // SAFETY: The region is live while referenced.
        unsafe { CStr::from_char_ptr((*region).dev.kobj.name) }
    }

    /// The decoder the region uses at this port, once assigned.
    pub(crate) fn decoder(&self) -> Option<&PortDecoder> {
        let decoder = field!(self, decoder);
        // SAFETY: Assigned right after allocation; decoders outlive the reference.
        unsafe { PortDecoder::opt(decoder) }
    }

    /// Assigns the decoder.
    pub(crate) fn set_decoder(&self, _: &RegionWrite, d: &PortDecoder) {
        // SAFETY: Guarded by `cxl_rwsem.region`, held for writing.
        unsafe { (*self.raw()).decoder = d.raw() };
    }

    /// The counters (read under `cxl_rwsem.region`, which their writers hold for writing).
    pub(crate) fn counts(&self) -> RefCounts {
        RefCounts {
            targets: field!(self, nr_targets),
            targets_set: field!(self, nr_targets_set),
            eps: field!(self, nr_eps),
        }
    }

    /// Updates the counters.
    pub(crate) fn set_counts(&self, _: &RegionWrite, counts: RefCounts) {
        // SAFETY: Guarded by `cxl_rwsem.region`, held for writing.
        unsafe {
            (*self.raw()).nr_targets = counts.targets;
            (*self.raw()).nr_targets_set = counts.targets_set;
            (*self.raw()).nr_eps = counts.eps;
        }
    }

    /// Records `ep` as the link of `cxled` through this port; `-EBUSY` if it has one already
    /// (`xa_insert()`: a region re-assembled around a target that stayed attached).
    pub(crate) fn add_endpoint(&self, _: &RegionWrite, cxled: &EndpointDecoder, ep: &Ep) -> Result {
        // SAFETY: The endpoints xarray was initialized with the reference; writers are
        // serialized by `cxl_rwsem.region`, held for writing, so the slot stays as read.
        if !unsafe { bindings::xa_load(self.endpoints(), key(cxled.raw())) }.is_null() {
            return Err(EBUSY);
        }
        // SAFETY: As above.
        let old = unsafe {
            bindings::xa_store(
                self.endpoints(),
                key(cxled.raw()),
                ep.raw().cast(),
                bindings::GFP_KERNEL,
            )
        };
        // SAFETY: `xa_store` returns the old entry or an error entry.
        to_result(unsafe { bindings::xa_err(old) })
    }

    /// Forgets `cxled`'s link; returns it if there was one.
    pub(crate) fn remove_endpoint(&self, _: &RegionWrite, cxled: &EndpointDecoder) -> Option<&Ep> {
        // SAFETY: As in `add_endpoint`.
        unsafe { Ep::opt(bindings::xa_erase(self.endpoints(), key(cxled.raw())).cast()) }
    }

    fn endpoints(&self) -> *mut bindings::xarray {
        // SAFETY: `self` is live; only the address of the field is taken.
        unsafe { (&raw mut (*self.raw()).endpoints).cast() }
    }

    /// Whether another endpoint than `skip` reaches this port through the same next port.
    pub(crate) fn shares_next(&self, _: &impl RegionLocked, ep: &Ep, skip: Option<&Ep>) -> bool {
        let mut found = false;
        let next = field!(ep, next);
        let endpoints = self.endpoints();
        // SAFETY: `endpoints` holds live `cxl_ep`s (see `add_endpoint`) while the lock is held.
        unsafe {
            xa_for_each(endpoints, |it: &Ep| {
                found = skip.is_none_or(|s| s != it) && ptr::eq(it.next_raw(), next);
                !found
            })
        };
        found
    }
}

impl MemdevState {
    /// # Safety
    ///
    /// `p` is a live memory device state whose device stays bound for `'a` (the core calls the
    /// event callback from the device's event thread).
    pub(crate) unsafe fn from_raw<'a>(p: *mut c::cxl_memdev_state) -> &'a Self {
        // SAFETY: Per the function's contract; `Self` is transparent over the C type.
        unsafe { &*p.cast::<Self>() }
    }

    /// The device's memdev, referenced.
    pub(crate) fn memdev(&self) -> ARef<Memdev> {
        let md = field!(self, cxlds.cxlmd);
        // SAFETY: The memdev of a bound device is set at probe and outlives the device state's
        // use by the event callback (the memdev goes after the event interrupt is freed).
        let md: &Memdev = unsafe { &*md.cast::<Memdev>() };
        md.into()
    }

    /// The mailbox payload size in bytes (constant after probe).
    pub(crate) fn payload_size(&self) -> usize {
        field!(self, cxlds.cxl_mbox.payload_size)
    }

    /// The block size of DC region 0, the granule of its extents (constant after probe); 0
    /// without Dynamic Capacity.
    pub(crate) fn dc_block_size(&self) -> u64 {
        if field!(self, nr_dc_regions) == 0 {
            return 0;
        }
        field!(self, dc_region)[0].blk_size
    }

    /// Sends Dynamic Capacity command `opcode` (Get DC Extent List, Add DC Response, Release DC)
    /// with payload `input`, the output into `out`; returns the output length.
    pub(crate) fn dc_cmd(&self, opcode: u16, input: &[u8], out: &mut [u8]) -> Result<usize> {
        // SAFETY: `self` is live; the buffers are valid for their lengths for the call, which
        // only reads `input` and writes at most `out.len()` bytes to `out`.
        let n = unsafe {
            c::cxl_dc_mbox_cmd(
                self.raw(),
                opcode,
                input.as_ptr().cast(),
                input.len(),
                out.as_mut_ptr().cast(),
                out.len(),
            )
        };
        usize::try_from(n).map_err(|_| Error::from_errno(n as i32))
    }
}

impl AsRef<kernel::device::Device> for MemdevState {
    fn as_ref(&self) -> &kernel::device::Device {
        let dev = field!(self, cxlds.dev);
        // SAFETY: `self` is live and its device (the PCI function) is bound, so it has a non-zero
        // reference count for as long as the borrow.
        unsafe { kernel::device::Device::from_raw(dev) }
    }
}

/// `cxl_rwsem.dpa`: DPA allocations of endpoint decoders; ordered after `cxl_rwsem.region`.
pub(crate) struct DpaSem;

// SAFETY: `cxl_rwsem` is a static of the CXL core, initialized at build time and exported to
// providers.
unsafe impl StaticRwSem for DpaSem {
    type Outer = RegionWrite;

    fn get() -> *mut bindings::rw_semaphore {
        // SAFETY: Only the address of the field of the static is taken.
        unsafe { &raw mut c::cxl_rwsem.dpa }
    }
}

/// `cxl_rwsem.dpa` held for reading, taken with [`ReadGuard::lock_after`] `cxl_rwsem.region`.
pub(crate) type DpaRead = ReadGuard<DpaSem>;

/// `cxl_memdev_rwsem`: a memdev's `cxlds`, which `cxl_memdev_shutdown()` clears with it held for
/// writing.
struct MemdevSem;

// SAFETY: `cxl_memdev_rwsem` is a static of the CXL core, initialized at build time and exported
// to providers.
unsafe impl StaticRwSem for MemdevSem {
    type Outer = ();

    fn get() -> *mut bindings::rw_semaphore {
        &raw mut c::cxl_memdev_rwsem
    }
}
