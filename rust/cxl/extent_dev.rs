// SPDX-License-Identifier: GPL-2.0

//! `extentZ.N` devices: one accepted extent of a Dynamic Capacity region each, children of the
//! region's `dax_regionZ` device.
//!
//! The device carries what its attributes show (HPA offset in the region, length, tag), fixed
//! when it is made. It has no bus; its type is the registered provider's, whose release callback
//! frees it and uncounts it, so that module unload waits for the last one (see
//! [`super::provider`]).

use super::provider::{self, DeviceTypes};
use super::region::DaxRegionDev;
use super::sysfs;
use core::ptr::NonNull;
use kernel::{bindings, prelude::*, types::Opaque};

/// The C layout of an extent device.
#[repr(C)]
struct Raw {
    dev: bindings::device,
    offset: u64,
    length: u64,
    tag: [u8; 16],
}

/// An `extentZ.N` device.
///
/// # Invariants
///
/// A `&ExtentDev` refers to a live device made by [`ExtentDev::add`]; its fields other than the
/// device do not change after it was added.
#[repr(transparent)]
pub(crate) struct ExtentDev(Opaque<Raw>);

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
        unsafe { (*self.raw()).tag }
    }

    /// Adds `extent<region_id>.<n>` under `parent`, showing `offset`, `length` and `tag`.
    pub(crate) fn add(
        parent: &DaxRegionDev,
        region_id: i32,
        n: u32,
        offset: u64,
        length: u64,
        tag: [u8; 16],
    ) -> Result<Registered> {
        let types = provider::current_types(parent).ok_or(ENXIO)?;
        let b = KBox::init(pin_init::init_zeroed::<Opaque<Raw>>(), GFP_KERNEL)?;
        let p = KBox::into_raw(b).cast::<Raw>();
        types.count_new();
        // SAFETY: `p` is a new, zeroed extent device that nothing else sees yet; once its device
        // is initialized, the release callback of `types.extent()` frees it. `parent` is live and
        // outlives its children (they are removed before it).
        unsafe {
            (*p).offset = offset;
            (*p).length = length;
            (*p).tag = tag;
            let dev = &raw mut (*p).dev;
            bindings::device_initialize(dev);
            (*dev).parent = parent.as_raw();
            (*dev).type_ = types.extent();
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

    /// The release callback of extent devices.
    ///
    /// # Safety
    ///
    /// Called by the driver core once, with an extent device made by [`ExtentDev::add`].
    pub(crate) unsafe extern "C" fn release(dev: *mut bindings::device) {
        // SAFETY: The device's type is the extent type of a `DeviceTypes`, read before the device
        // is freed; the device is embedded in a `Raw` allocated as a `KBox<Opaque<Raw>>`.
        unsafe {
            let types = DeviceTypes::of_extent(dev);
            let p = kernel::container_of!(dev, Raw, dev);
            drop(KBox::from_raw(p.cast::<Opaque<Raw>>()));
            types.uncount();
        }
    }
}

// SAFETY: Extent attributes are only on extent devices, which `ExtentDev::add` makes.
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
pub(crate) struct Registered(NonNull<bindings::device>);

// SAFETY: Device unregistration may happen from any task.
unsafe impl Send for Registered {}

impl Drop for Registered {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the device was added and the reference is ours.
        unsafe { bindings::device_unregister(self.0.as_ptr()) };
    }
}
