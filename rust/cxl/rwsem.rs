// SPDX-License-Identifier: GPL-2.0

//! The CXL core's static reader/writer semaphores (`cxl_rwsem.region`, `cxl_rwsem.dpa`,
//! `cxl_memdev_rwsem`), held through guards that double as proofs: a function that needs a lock
//! takes a reference to its guard, so the lock order and "held for writing" are checked by the
//! compiler.
//!
//! The kernel crate has no `rw_semaphore` abstraction yet; this one covers the static semaphores
//! of another subsystem only, with the acquisition flavours the C code uses (`guard(rwsem_read)`,
//! `ACQUIRE(rwsem_read_intr, ..)`, `guard(rwsem_write)`, `ACQUIRE(rwsem_write_kill, ..)`).

use core::marker::PhantomData;
use kernel::{bindings, error::to_result, prelude::*};

/// A `struct rw_semaphore` that lives as long as the kernel (a static of the CXL core, exported to
/// modules), named by a type.
///
/// # Safety
///
/// [`StaticRwSem::get`] returns a pointer to an initialized `rw_semaphore` that is never freed.
pub(crate) unsafe trait StaticRwSem: 'static {
    /// What the task must hold before it takes this semaphore: `()` for a semaphore with no lock
    /// ordered before it, else the guard of the one ordered before it.
    type Outer;

    /// The semaphore.
    fn get() -> *mut bindings::rw_semaphore;
}

/// `L` held for reading.
///
/// # Invariants
///
/// The task that created the guard holds `L` for reading until the guard drops. The guard cannot
/// move to another task (`rw_semaphore`s are released by the task that took them).
pub(crate) struct ReadGuard<L: StaticRwSem>(PhantomData<(L, *mut ())>);

/// `L` held for writing.
///
/// # Invariants
///
/// The task that created the guard holds `L` for writing until the guard drops; the guard cannot
/// move to another task.
pub(crate) struct WriteGuard<L: StaticRwSem>(PhantomData<(L, *mut ())>);

/// Either guard of `L`: enough to read what `L` protects.
pub(crate) trait Held<L: StaticRwSem> {}
impl<L: StaticRwSem> Held<L> for ReadGuard<L> {}
impl<L: StaticRwSem> Held<L> for WriteGuard<L> {}

/// `cxl_rwsem.region` and `cxl_rwsem.dpa` held for reading by the core around a call into the
/// provider (the poison and event record paths of `memdev.c` and `mbox.c`, whose callees
/// `lockdep_assert_held()` both): a proof for the accessors that read what either guards.
///
/// # Invariants
///
/// Made only by the provider's callbacks that the core calls with both semaphores held for
/// reading, for the duration of the call; it cannot move to another task.
pub(crate) struct CoreHeld(PhantomData<*mut ()>);

impl CoreHeld {
    /// # Safety
    ///
    /// The calling task holds `cxl_rwsem.region` and `cxl_rwsem.dpa` for reading, and keeps them
    /// as long as the proof lives.
    pub(crate) unsafe fn new() -> Self {
        Self(PhantomData)
    }
}

impl Held<super::region::RegionSem> for CoreHeld {}
impl Held<super::topology::DpaSem> for CoreHeld {}

impl<L: StaticRwSem> ReadGuard<L> {
    /// Takes `L` for reading, after `outer` (`guard(rwsem_read)`).
    pub(crate) fn lock_after(_outer: &L::Outer) -> Self {
        // SAFETY: By the trait's contract `L::get()` is an initialized, immortal semaphore.
        unsafe { bindings::down_read(L::get()) };
        // INVARIANT: The semaphore was taken for reading by this task.
        Self(PhantomData)
    }

    /// Takes `L` for reading after the semaphore ordered before it (`O`), held in either mode
    /// (`guard(rwsem_read)` inside another).
    pub(crate) fn lock_inside<O: StaticRwSem>(_outer: &impl Held<O>) -> Self
    where
        L::Outer: Held<O>,
    {
        // SAFETY: As in `lock_after`.
        unsafe { bindings::down_read(L::get()) };
        // INVARIANT: The semaphore was taken for reading by this task.
        Self(PhantomData)
    }

    /// Takes `L` for reading unless a signal arrives first, after the semaphore ordered before it
    /// (`O`), held in either mode (`ACQUIRE(rwsem_read_intr, ..)` inside another): `-EINTR` then.
    pub(crate) fn lock_interruptible_after<O: StaticRwSem>(_outer: &impl Held<O>) -> Result<Self>
    where
        L::Outer: Held<O>,
    {
        // SAFETY: As in `lock_after`.
        to_result(unsafe { bindings::down_read_interruptible(L::get()) })?;
        // INVARIANT: The semaphore was taken for reading by this task.
        Ok(Self(PhantomData))
    }
}

impl<L: StaticRwSem<Outer = ()>> ReadGuard<L> {
    /// Takes `L` for reading (`guard(rwsem_read)`).
    pub(crate) fn lock() -> Self {
        Self::lock_after(&())
    }

    /// Takes `L` for reading unless a signal arrives first (`ACQUIRE(rwsem_read_intr, ..)`):
    /// `-EINTR` then.
    pub(crate) fn lock_interruptible() -> Result<Self> {
        // SAFETY: As in `lock_after`.
        to_result(unsafe { bindings::down_read_interruptible(L::get()) })?;
        // INVARIANT: The semaphore was taken for reading by this task.
        Ok(Self(PhantomData))
    }
}

impl<L: StaticRwSem<Outer = ()>> WriteGuard<L> {
    /// Takes `L` for writing whatever signals are pending (`guard(rwsem_write)`).
    pub(crate) fn lock() -> Self {
        // SAFETY: As in `ReadGuard::lock_after`.
        unsafe { bindings::down_write(L::get()) };
        // INVARIANT: The semaphore was taken for writing by this task.
        Self(PhantomData)
    }

    /// Takes `L` for writing unless the task is killed first (`ACQUIRE(rwsem_write_kill, ..)`):
    /// `-EINTR` then.
    pub(crate) fn lock_killable() -> Result<Self> {
        // SAFETY: As in `ReadGuard::lock_after`.
        to_result(unsafe { bindings::down_write_killable(L::get()) })?;
        // INVARIANT: The semaphore was taken for writing by this task.
        Ok(Self(PhantomData))
    }
}

impl<L: StaticRwSem> Drop for ReadGuard<L> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants this task holds the semaphore for reading.
        unsafe { bindings::up_read(L::get()) };
    }
}

impl<L: StaticRwSem> Drop for WriteGuard<L> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants this task holds the semaphore for writing.
        unsafe { bindings::up_write(L::get()) };
    }
}
