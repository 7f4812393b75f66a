// SPDX-License-Identifier: GPL-2.0

//! Sysfs attributes of devices, declared once, in Rust.
//!
//! In the spirit of `kernel::configfs`: an attribute is a type implementing [`Attribute`] for the
//! object it belongs to, a small typed `show`/`store`/`visible` set. [`attr`] builds its
//! `struct device_attribute` at compile time with callbacks monomorphised for that attribute;
//! [`AttrList`] and [`Group`] build the tables sysfs reads, as `static`s of the module. Nothing about an attribute is written down twice.
//!
//! The tables are immutable: the driver core and sysfs only read them.

use core::{fmt, marker::PhantomData, ptr};
use kernel::{
    bindings,
    error::to_result,
    ffi::{c_char, c_int},
    prelude::*, //
};

/// A C object embedding a `struct device` whose attributes are declared with [`Attribute`].
///
/// # Safety
///
/// [`Object::from_dev`] returns the object that embeds `dev` when `dev` is a device of the kind
/// the attributes of `Self` are put on (the attribute tables guarantee that they are only put on
/// such devices).
pub(crate) unsafe trait Object: 'static {
    /// The object of `dev`.
    ///
    /// # Safety
    ///
    /// `dev` is a live device carrying an attribute of `Self`, and stays live for `'a`.
    unsafe fn from_dev<'a>(dev: *mut bindings::device) -> &'a Self;
}

/// One sysfs attribute of the devices of `O`.
///
/// `MODE` decides which callbacks exist: a readable attribute gets `show`, a writable one
/// `store`. The defaults of `show` and `store` are only reachable for a mode that does not
/// offer them, so they answer `-EIO`.
pub(crate) trait Attribute<O: Object>: 'static {
    /// The file name.
    const NAME: &'static CStr;
    /// The default mode.
    const MODE: u16;

    /// Fills `out` with the attribute's value.
    fn show(_obj: &O, _out: &mut ShowBuf) -> Result {
        Err(EIO)
    }

    /// Takes `input`; success consumes all of it.
    fn store(_obj: &O, _input: &StoreInput<'_>) -> Result {
        Err(EIO)
    }

    /// The mode of the attribute on `obj` (0 hides it); `mode` is [`Attribute::MODE`].
    fn visible(_obj: &O, mode: u16) -> u16 {
        mode
    }
}

/// A `struct device_attribute` plus the attribute's visibility callback, which the group's
/// `is_visible` finds from the attribute it is asked about.
///
/// # Invariants
///
/// `raw.attr` belongs to an [`Attribute`] `A` of an [`Object`] `O`, and the callbacks are
/// [`show_callback::<O, A>`], [`store_callback::<O, A>`] and [`visible_callback::<O, A>`].
#[repr(C)]
pub(crate) struct DevAttr {
    raw: bindings::device_attribute,
    visible: unsafe fn(*mut bindings::device, u16) -> u16,
}

// SAFETY: A `DevAttr` is immutable; the C side only reads it.
unsafe impl Sync for DevAttr {}

struct AttrOf<O, A>(PhantomData<(O, A)>);

impl<O: Object, A: Attribute<O>> AttrOf<O, A> {
    const ATTR: DevAttr = {
        // SAFETY: `struct device_attribute` is plain data for which all-zeroes is valid (no name,
        // no callbacks, lockdep key unused).
        let mut raw: bindings::device_attribute = unsafe { core::mem::zeroed() };
        raw.attr.name = A::NAME.to_bytes_with_nul().as_ptr();
        raw.attr.mode = A::MODE;
        if A::MODE & 0o444 != 0 {
            raw.__bindgen_anon_1.show = Some(show_callback::<O, A>);
        }
        if A::MODE & 0o222 != 0 {
            raw.__bindgen_anon_2.store = Some(store_callback::<O, A>);
        }
        // INVARIANT: The callbacks are those of `O` and `A`.
        DevAttr {
            raw,
            visible: visible_callback::<O, A>,
        }
    };
}

/// The `struct attribute` of attribute `A` of `O`, for an [`AttrList`].
pub(crate) const fn attr<O: Object, A: Attribute<O>>() -> *mut bindings::attribute {
    let a: &'static DevAttr = &AttrOf::<O, A>::ATTR;
    // CAST: `raw.attr` is the first field of the `repr(C)` `DevAttr`. The pointer is only read.
    ptr::from_ref(a).cast_mut().cast()
}

/// The end of an [`AttrList`].
pub(crate) const END: *mut bindings::attribute = ptr::null_mut();

/// A NULL-terminated array of attributes (`struct attribute *[]`).
///
/// # Invariants
///
/// The last entry is [`END`]; every other one comes from [`attr`].
#[repr(transparent)]
pub(crate) struct AttrList<const N: usize>([*mut bindings::attribute; N]);

// SAFETY: The list is immutable; the C side only reads it.
unsafe impl<const N: usize> Sync for AttrList<N> {}

impl<const N: usize> AttrList<N> {
    /// A list of `attrs`, whose last entry must be [`END`] and the others made by [`attr`].
    pub(crate) const fn new(attrs: [*mut bindings::attribute; N]) -> Self {
        assert!(N > 0 && attrs[N - 1].is_null());
        // INVARIANT: Checked above for the end; the callers' entries come from `attr`.
        Self(attrs)
    }
}

/// A `struct attribute_group`.
#[repr(transparent)]
pub(crate) struct Group(bindings::attribute_group);

// SAFETY: The group is immutable; the C side only reads it.
unsafe impl Sync for Group {}

impl Group {
    /// A group of `attrs`, in the directory `name` of the device (its own directory for `None`),
    /// each attribute visible as its [`Attribute::visible`] says.
    pub(crate) const fn new<const N: usize>(
        name: Option<&'static CStr>,
        attrs: &'static AttrList<N>,
    ) -> Self {
        // SAFETY: All-zeroes is a valid `struct attribute_group` (no name, no callbacks).
        let mut raw: bindings::attribute_group = unsafe { core::mem::zeroed() };
        if let Some(name) = name {
            raw.name = name.to_bytes_with_nul().as_ptr();
        }
        raw.__bindgen_anon_1.is_visible = Some(group_visible);
        // CAST: The list is only read through the pointer.
        raw.__bindgen_anon_2.attrs = attrs.0.as_ptr().cast_mut();
        Self(raw)
    }

    /// The raw group, for `sysfs_*_group()` and device types.
    pub(crate) const fn as_raw(&'static self) -> *const bindings::attribute_group {
        &self.0
    }

    /// Re-evaluates the visibility of the group's attributes on `dev` (`sysfs_update_group()`).
    pub(crate) fn update(&'static self, dev: &kernel::device::Device) -> Result {
        // SAFETY: `dev` is a live device; the group is immutable and lives as long as the module,
        // which removes its groups before it goes.
        to_result(unsafe { bindings::sysfs_update_group(kobj(dev), self.as_raw()) })
    }

    /// Adds the group to `dev` (`sysfs_create_group()`).
    pub(crate) fn create(&'static self, dev: &kernel::device::Device) -> Result {
        // SAFETY: As in `update`.
        to_result(unsafe { bindings::sysfs_create_group(kobj(dev), self.as_raw()) })
    }

    /// Removes the group from `dev` (`sysfs_remove_group()`); waits for callbacks in flight.
    pub(crate) fn remove(&'static self, dev: &kernel::device::Device) {
        // SAFETY: As in `update`; removing a group that is not there is a no-op.
        unsafe { bindings::sysfs_remove_group(kobj(dev), self.as_raw()) };
    }
}

fn kobj(dev: &kernel::device::Device) -> *mut bindings::kobject {
    // SAFETY: `dev` is a live device; only the address of its embedded kobject is taken.
    unsafe { &raw mut (*super::as_raw(dev)).kobj }
}

/// The output of a `show` callback: the page sysfs hands in, filled like `sysfs_emit()`.
pub(crate) struct ShowBuf {
    buf: *mut u8,
    len: usize,
}

impl fmt::Write for ShowBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Like `sysfs_emit()`: at most a page, and room for the terminating NUL.
        let room = (bindings::PAGE_SIZE - 1).saturating_sub(self.len);
        let n = s.len().min(room);
        // SAFETY: `buf` is the page sysfs passed to the show callback, `len + n` stays within it,
        // and `s` cannot overlap it.
        unsafe { ptr::copy_nonoverlapping(s.as_ptr(), self.buf.add(self.len), n) };
        self.len += n;
        if n < s.len() {
            return Err(fmt::Error);
        }
        Ok(())
    }
}

impl ShowBuf {
    /// Appends formatted text (`sysfs_emit_at()`); `-EINVAL` past the page.
    pub(crate) fn emit(&mut self, args: fmt::Arguments<'_>) -> Result {
        fmt::Write::write_fmt(self, args).map_err(|_| EINVAL)
    }
}

/// What user space wrote to an attribute: `len` bytes, NUL-terminated by sysfs.
pub(crate) struct StoreInput<'a> {
    bytes: &'a [u8],
}

impl StoreInput<'_> {
    /// The bytes written.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.bytes
    }

    /// `uuid_parse()` of the bytes written.
    pub(crate) fn to_uuid(&self) -> Result<[u8; 16]> {
        let mut u = bindings::uuid_t { b: [0; 16] };
        // SAFETY: sysfs terminates the buffer with a NUL after the written bytes; `uuid_parse()`
        // reads at most the 36 characters of a UUID string, stopping at a mismatch.
        to_result(unsafe { bindings::uuid_parse(self.bytes.as_ptr().cast(), &mut u) })?;
        Ok(u.b)
    }

    /// `kstrtoint(buf, 0, ..)`.
    pub(crate) fn to_int(&self) -> Result<i32> {
        let mut v = 0;
        // SAFETY: sysfs terminates the buffer with a NUL after the written bytes.
        to_result(unsafe { bindings::kstrtoint(self.bytes.as_ptr().cast(), 0, &mut v) })?;
        Ok(v)
    }

    /// `kstrtou64(buf, 0, ..)`.
    pub(crate) fn to_u64(&self) -> Result<u64> {
        let mut v = 0;
        // SAFETY: As in `to_int`.
        to_result(unsafe { bindings::kstrtoull(self.bytes.as_ptr().cast(), 0, &mut v) })?;
        Ok(v)
    }
}

/// # Safety
///
/// Called by sysfs only, for attribute `A` of a live device of `O`, with the page to fill.
unsafe extern "C" fn show_callback<O: Object, A: Attribute<O>>(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: Per the function's contract (the tables put `A` only on devices of `O`).
    let obj = unsafe { O::from_dev(dev) };
    let mut out = ShowBuf {
        buf: buf.cast(),
        len: 0,
    };
    let result = A::show(obj, &mut out);
    shown(result, &out)
}

/// What a show callback returns: the length shown or the errno.
#[inline(never)]
fn shown(result: Result, out: &ShowBuf) -> isize {
    match result {
        // CAST: At most a page.
        Ok(()) => out.len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Called by sysfs only, for attribute `A` of a live device of `O`, with `len` bytes at `buf`
/// followed by a NUL.
unsafe extern "C" fn store_callback<O: Object, A: Attribute<O>>(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const c_char,
    len: usize,
) -> isize {
    // SAFETY: Per the function's contract.
    let obj = unsafe { O::from_dev(dev) };
    let input = StoreInput {
        // SAFETY: sysfs passes `len` valid bytes.
        bytes: unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) },
    };
    match A::store(obj, &input) {
        // CAST: At most a page.
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// `dev` is a live device of `O` that carries `A`'s group.
unsafe fn visible_callback<O: Object, A: Attribute<O>>(
    dev: *mut bindings::device,
    mode: u16,
) -> u16 {
    // SAFETY: Per the function's contract.
    A::visible(unsafe { O::from_dev(dev) }, mode)
}

/// The `is_visible` of every [`Group`]: asks the attribute.
///
/// # Safety
///
/// Called by sysfs only, with the kobject of a live device and an attribute of one of our groups.
unsafe extern "C" fn group_visible(
    kobj: *mut bindings::kobject,
    attr: *mut bindings::attribute,
    _n: c_int,
) -> bindings::umode_t {
    // SAFETY: Every attribute of a `Group` is the first field of a `DevAttr` (see `attr`), and
    // the kobject is embedded in a live device (`kobj_to_dev()`).
    unsafe {
        let da = kernel::container_of!(attr, DevAttr, raw.attr);
        let dev = kernel::container_of!(kobj, bindings::device, kobj);
        ((*da).visible)(dev, (*attr).mode)
    }
}
