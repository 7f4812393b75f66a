// SPDX-License-Identifier: GPL-2.0

//! `extentZ.N` devices: one accepted extent of a Dynamic Capacity region each, children of the
//! region's `dax_regionZ` device.
//!
//! The device carries what its attributes show (HPA offset in the region, length, tag) and its
//! place in the tag's sequence, fixed when it is made. It has no bus; its type is the core's
//! (`cxl_provider_device_initialize()`), whose release callback calls [`ExtentDev::release`] and
//! counts it out, so that unregistering the provider waits for the last one. The driver of the
//! `cxl_dax_region` reads the extents under it when it binds ([`for_each_extent`]); the layout is
//! the core's `struct cxl_extent_dev`.

use super::{as_raw, cxl_bindings as c, driver::DaxRegionDevice};
#[cfg(cxl_region_provider)]
use super::{region::DaxRegionDev, sysfs};
#[cfg(cxl_region_provider)]
use core::ptr::NonNull;
use kernel::{
    bindings, device,
    ffi::{c_int, c_void},
};
#[cfg(cxl_region_provider)]
use kernel::{prelude::*, types::Opaque};

/// An extent device, as the core declares it (`struct cxl_extent_dev`, `patches/0016`): the
/// provider makes them, the driver of the `cxl_dax_region` reads them.
type Raw = c::cxl_extent_dev;

/// What an extent device shows, copied.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExtentInfo {
    /// Offset in the region's HPA range.
    pub(crate) offset: u64,
    /// Length.
    pub(crate) length: u64,
    /// Tag, all zeros when untagged.
    pub(crate) tag: [u8; 16],
    /// Place in the tag's sequence.
    pub(crate) seq: u16,
}

/// Calls `f` with each extent under `dax_region`, a `cxl_dax_region` device, as its device shows
/// it.
///
/// The provider adds and removes extent devices with `dax_region` locked, so a caller that holds
/// that lock (its driver's probe) sees exactly the extents that are there.
pub(crate) fn for_each_extent<F: FnMut(ExtentInfo)>(
    dax_region: &DaxRegionDevice<device::Bound>,
    mut f: F,
) {
    /// # Safety
    ///
    /// Called by `device_for_each_child()` with a referenced child and the `F` below.
    unsafe extern "C" fn visit<F: FnMut(ExtentInfo)>(
        dev: *mut bindings::device,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: `dev` is a live device.
        if !unsafe { c::is_cxl_extent(dev) } {
            return 0;
        }
        // SAFETY: An extent device is embedded in a `Raw` (made by `ExtentDev::add`), whose
        // fields besides the device are constant; the child reference keeps it alive. `data` is
        // the closure, borrowed mutably by the walk alone.
        unsafe {
            let p = kernel::container_of!(dev, Raw, dev);
            (*data.cast::<F>())(ExtentInfo {
                offset: (*p).offset,
                length: (*p).length,
                tag: (*p).tag.b,
                seq: (*p).seq,
            });
        }
        0
    }
    // SAFETY: `dax_region` is live; `visit` only uses `f` during the call and returns 0, so the
    // walk covers every child.
    unsafe {
        bindings::device_for_each_child(
            as_raw(dax_region.as_ref()),
            (&raw mut f).cast(),
            Some(visit::<F>),
        )
    };
}

/// An `extentZ.N` device.
///
/// # Invariants
///
/// A `&ExtentDev` refers to a live device made by [`ExtentDev::add`]; its fields other than the
/// device do not change after it was added.
#[cfg(cxl_region_provider)]
#[repr(transparent)]
pub(crate) struct ExtentDev(Opaque<Raw>);

#[cfg(cxl_region_provider)]
impl ExtentDev {
    fn raw(&self) -> *mut Raw {
        self.0.get()
    }

    /// The extent's offset in the region's HPA range.
    pub(crate) fn offset(&self) -> u64 {
        // SAFETY: By the type invariants the device is live and the field constant.
        unsafe { (*self.raw()).offset }
    }

    /// The extent's length.
    pub(crate) fn length(&self) -> u64 {
        // SAFETY: As in `offset`.
        unsafe { (*self.raw()).length }
    }

    /// The extent's tag (all zeros when untagged).
    pub(crate) fn tag(&self) -> [u8; 16] {
        // SAFETY: As in `offset`.
        unsafe { (*self.raw()).tag.b }
    }

    /// Adds `extent<region_id>.<n>` under `parent`, showing `offset`, `length` and `tag`, with
    /// the tag's sequence number `seq`. The caller holds `parent`'s device lock (see
    /// [`for_each_extent`]).
    pub(crate) fn add(
        parent: &DaxRegionDev,
        region_id: i32,
        n: u32,
        offset: u64,
        length: u64,
        tag: [u8; 16],
        seq: u16,
    ) -> Result<Registered> {
        let b = KBox::init(pin_init::init_zeroed::<Opaque<Raw>>(), GFP_KERNEL)?;
        let p = KBox::into_raw(b).cast::<Raw>();
        // SAFETY: `p` is a new, zeroed extent device that nothing else sees yet: it is freed here
        // if the core does not initialize its device, else by the release callback (the core's,
        // which calls `ExtentDev::release`). `parent` is live and outlives its children (they are
        // removed before it).
        unsafe {
            (*p).offset = offset;
            (*p).length = length;
            (*p).tag.b = tag;
            (*p).seq = seq;
            let dev = &raw mut (*p).dev;
            let rc =
                c::cxl_provider_device_initialize(dev, c::cxl_provider_dev_CXL_PROVIDER_EXTENT);
            if rc != 0 {
                drop(KBox::from_raw(p.cast::<Opaque<Raw>>()));
                return Err(Error::from_errno(rc));
            }
            (*dev).parent = parent.as_raw();
            let mut rc = bindings::dev_set_name(dev, c"extent%d.%u".as_char_ptr(), region_id, n);
            if rc == 0 {
                rc = bindings::device_add(dev);
            }
            if rc != 0 {
                bindings::put_device(dev);
                return Err(Error::from_errno(rc));
            }
            // INVARIANT: Added just above; the reference is the handle's.
            Ok(Registered(NonNull::new_unchecked(dev)))
        }
    }

    /// Frees an extent device whose last reference is gone (called by the core's release
    /// callback, which then counts the device out).
    ///
    /// # Safety
    ///
    /// Called by the core once, with an extent device made by [`ExtentDev::add`].
    pub(crate) unsafe extern "C" fn release(dev: *mut bindings::device) {
        // SAFETY: The device is embedded in a `Raw` allocated as a `KBox<Opaque<Raw>>`.
        unsafe {
            let p = kernel::container_of!(dev, Raw, dev);
            drop(KBox::from_raw(p.cast::<Opaque<Raw>>()));
        }
    }
}

// SAFETY: Extent attributes are only on extent devices, which `ExtentDev::add` makes.
#[cfg(cxl_region_provider)]
unsafe impl sysfs::Object for ExtentDev {
    unsafe fn from_dev<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: Per the trait's contract `dev` is embedded in a live `Raw` for `'a`; `Self` is
        // transparent over it.
        unsafe { &*kernel::container_of!(dev, Raw, dev).cast::<Self>() }
    }
}

/// An added extent device, unregistered when dropped.
///
/// # Invariants
///
/// The pointer is an added extent device whose reference this owns.
#[cfg(cxl_region_provider)]
pub(crate) struct Registered(NonNull<bindings::device>);

// SAFETY: Device unregistration may happen from any task.
#[cfg(cxl_region_provider)]
unsafe impl Send for Registered {}

#[cfg(cxl_region_provider)]
impl Drop for Registered {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the device was added and the reference is ours.
        unsafe { bindings::device_unregister(self.0.as_ptr()) };
    }
}
