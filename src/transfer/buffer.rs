//! ArrayBuffer and SharedArrayBuffer memory outside any JavaScript heap.
//!
//! Transferring an ArrayBuffer moves its memory without copying: out of one of our isolates we
//! keep V8's backing store; out of Node we keep a hidden Node ArrayBuffer that owns the memory.
//! The receiving side wraps the same memory. A SharedArrayBuffer's memory is wrapped the same
//! way on every side, so writes are seen everywhere.
//!
//! Memory is charged to the isolate that holds it: wrappers created for an isolate reserve the
//! bytes against its memory limit and release them when collected.

use std::ffi::c_void;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{msg, Error, Result};
use crate::host::NodeRef;
use crate::isolate::memory::MemoryLimit;
use crate::isolate::{executor, registry, IsolateCore};

/// Bytes of an ArrayBuffer, held outside any heap.
pub enum Bytes {
  /// A copy owned by Rust.
  Owned(Box<[u8]>),
  /// Memory moved out of one of our isolates. While it lives elsewhere it is not charged to
  /// `origin` (whose allocator will still free it): see `Drop`.
  Store { store: v8::SharedRef<v8::BackingStore>, origin: Option<Arc<MemoryLimit>> },
  /// Memory moved out of Node, owned by a Node ArrayBuffer nobody else can reach.
  Node { owner: NodeRef, data: Pointer, len: usize },
}

/// A raw pointer into memory kept alive by its owner.
#[derive(Clone, Copy)]
pub struct Pointer(pub *mut u8);
// SAFETY: an address of plain bytes, kept alive by the owner stored beside it wherever it is used
// (`Bytes::Node`, `SharedMemory::Node`), which may be on any thread: that memory is reached by
// nobody else, or is shared memory, which every side may use at once.
unsafe impl Send for Pointer {}
// SAFETY: as for `Send`.
unsafe impl Sync for Pointer {}

impl Bytes {
  /// Takes the memory of one of the current isolate's ArrayBuffers; the buffer is detached.
  pub fn take(buffer: v8::Local<v8::ArrayBuffer>) -> Result<Bytes> {
    if !buffer.is_detachable() || buffer.was_detached() {
      return Err(Error::generic("Array buffer is invalid"));
    }
    let store = buffer.get_backing_store();
    buffer.detach(None);
    let origin = executor::current().map(|core| core.memory.clone());
    if let Some(origin) = &origin {
      origin.adjust_external(-(store.byte_length() as isize));
    }
    Ok(Bytes::Store { store, origin })
  }

  pub fn copy_of(data: &[u8]) -> Bytes {
    Bytes::Owned(data.into())
  }

  pub fn len(&self) -> usize {
    match self {
      Bytes::Owned(bytes) => bytes.len(),
      Bytes::Store { store, .. } => store.byte_length(),
      Bytes::Node { len, .. } => *len,
    }
  }

  fn data(&self) -> *mut u8 {
    match self {
      Bytes::Owned(bytes) => bytes.as_ptr() as *mut u8,
      Bytes::Store { store, .. } => store.data().map_or(std::ptr::null_mut(), |p| p.as_ptr() as *mut u8),
      Bytes::Node { data, .. } => data.0,
    }
  }

  pub fn as_slice(&self) -> &[u8] {
    let len = self.len();
    if len == 0 {
      return &[];
    }
    // SAFETY: `data` is `len` bytes that `self` keeps alive (its box, backing store or Node
    // owner) and that nothing else uses while `self` holds them.
    unsafe { std::slice::from_raw_parts(self.data(), len) }
  }

  /// A new ArrayBuffer of the current isolate over this memory (no copy), charged to the
  /// isolate's memory limit. Fails with a RangeError when the limit does not allow it.
  pub fn into_isolate<'s>(self, scope: &mut v8::PinScope<'s, '_, ()>) -> Result<v8::Local<'s, v8::ArrayBuffer>> {
    let store = charged_store(scope, self)?;
    Ok(v8::ArrayBuffer::with_backing_store(scope, &store))
  }

  /// A new ArrayBuffer of the current isolate holding a copy of these bytes.
  pub fn copy_into_isolate<'s>(&self, scope: &mut v8::PinScope<'s, '_, ()>) -> Result<v8::Local<'s, v8::ArrayBuffer>> {
    make_room(scope, self.len())?;
    Bytes::copy_of(self.as_slice()).into_isolate(scope)
  }
}

impl Drop for Bytes {
  fn drop(&mut self) {
    // Memory moved out of an isolate goes back to its allocator when freed, which subtracts it
    // from that isolate's budget: add it back first so the books balance.
    if let Bytes::Store { store, origin: Some(origin) } = self {
      origin.adjust_external(store.byte_length() as isize);
    }
  }
}

/// What a backing store we create keeps alive, and whose budget it is charged to.
struct Charged {
  bytes: Option<Bytes>,
  limit: Option<Arc<MemoryLimit>>,
  len: usize,
}

/// A value too big for the current isolate's budget stops the isolate, like an allocation of
/// its own would.
fn over_limit(core: &IsolateCore) -> Error {
  core.memory.trip();
  core.dispose();
  Error::generic(msg::MEMORY_LIMIT)
}

/// Fails (stopping the isolate) if `len` more bytes do not fit in the current isolate's budget
/// even once its garbage is collected: checked before copying big values into it.
pub fn make_room(scope: &mut v8::PinScope<'_, '_, ()>, len: usize) -> Result<()> {
  let Some(core) = executor::current() else { return Ok(()) };
  if core.memory.fits(len) {
    return Ok(());
  }
  scope.low_memory_notification();
  if core.memory.fits(len) {
    Ok(())
  } else {
    Err(over_limit(&core))
  }
}

fn charged_store(scope: &mut v8::PinScope<'_, '_, ()>, bytes: Bytes) -> Result<v8::SharedRef<v8::BackingStore>> {
  let len = bytes.len();
  let core = executor::current();
  if let Some(core) = &core {
    if !core.memory.try_charge(len) {
      make_room(scope, len)?;
      if !core.memory.try_charge(len) {
        return Err(over_limit(core));
      }
    }
  }
  let limit = core.map(|core| core.memory.clone());
  let data = bytes.data();
  let holder = Box::into_raw(Box::new(Charged { bytes: Some(bytes), limit, len }));
  // V8 wants a non-null pointer even for empty buffers.
  let data = if data.is_null() { std::ptr::NonNull::<u8>::dangling().as_ptr() } else { data };
  // SAFETY: `data` is the `len` bytes of `bytes` (or dangling, for none), which the holder keeps
  // until V8 calls `release_charged` with it, once.
  let store = unsafe { v8::ArrayBuffer::new_backing_store_from_ptr(data.cast(), len, release_charged, holder.cast()) };
  Ok(store.make_shared())
}

unsafe extern "C" fn release_charged(_data: *mut c_void, _len: usize, holder: *mut c_void) {
  // SAFETY: `charged_store` leaked this box as the deleter's data.
  let mut holder = unsafe { Box::from_raw(holder as *mut Charged) };
  if let Some(limit) = &holder.limit {
    limit.adjust_external(-(holder.len as isize));
  }
  // Called from the garbage collector: release the memory's owner elsewhere.
  if let Some(bytes) = holder.bytes.take() {
    registry::reap_later(Box::new(bytes));
  }
}

/// The memory of a SharedArrayBuffer, shared by every side that received it.
pub enum SharedMemory {
  /// Created by one of our isolates (its allocator, which counts it, frees it), whose budget
  /// is `origin`.
  Store { store: v8::SharedRef<v8::BackingStore>, origin: Option<Arc<MemoryLimit>> },
  /// Created by Node, kept alive by a reference to the Node SharedArrayBuffer.
  Node { owner: NodeRef, data: Pointer, len: usize },
}

/// What a SharedArrayBuffer of an isolate over shared memory keeps alive, and whose budget
/// it is charged to.
struct SharedHolder {
  memory: Arc<SharedMemory>,
  limit: Option<Arc<MemoryLimit>>,
}

impl SharedMemory {
  pub fn len(&self) -> usize {
    match self {
      SharedMemory::Store { store, .. } => store.byte_length(),
      SharedMemory::Node { len, .. } => *len,
    }
  }

  fn data(&self) -> *mut u8 {
    match self {
      SharedMemory::Store { store, .. } => store.data().map_or(std::ptr::null_mut(), |p| p.as_ptr() as *mut u8),
      SharedMemory::Node { data, .. } => data.0,
    }
  }

  /// A SharedArrayBuffer of the current isolate over this memory. Every isolate holding it is
  /// charged its size, as isolated-vm does (the one that created it, through its allocator).
  pub fn into_isolate<'s>(self: &Arc<Self>, scope: &v8::PinScope<'s, '_>) -> v8::Local<'s, v8::SharedArrayBuffer> {
    let core = executor::current();
    if let SharedMemory::Store { store, origin: Some(origin) } = &**self {
      if core.as_ref().is_some_and(|core| Arc::ptr_eq(&core.memory, origin)) {
        return v8::SharedArrayBuffer::with_backing_store(scope, store);
      }
    }
    let limit = core.map(|core| core.memory.clone());
    if let Some(limit) = &limit {
      limit.adjust_external(self.len() as isize);
    }
    let holder = Box::into_raw(Box::new(SharedHolder { memory: self.clone(), limit }));
    let data = self.data();
    let data = if data.is_null() { std::ptr::NonNull::<u8>::dangling().as_ptr() } else { data };
    // SAFETY: `data` is the shared memory (or dangling, for none), which the holder keeps alive
    // until V8 calls `release_shared` with it, once.
    let store = unsafe { v8::SharedArrayBuffer::new_backing_store_from_ptr(data.cast(), self.len(), release_shared, holder.cast()) };
    let store = store.make_shared();
    remember(&store, self);
    v8::SharedArrayBuffer::with_backing_store(scope, &store)
  }

  /// The memory of one of the current isolate's SharedArrayBuffers.
  pub fn of(buffer: v8::Local<v8::SharedArrayBuffer>) -> Arc<SharedMemory> {
    let store = buffer.get_backing_store();
    // Memory that came from elsewhere goes back as what it was (to Node as the same object).
    if let Some(memory) = wrapped(&store) {
      return memory;
    }
    let origin = executor::current().map(|core| core.memory.clone());
    Arc::new(SharedMemory::Store { store, origin })
  }
}

unsafe extern "C" fn release_shared(_data: *mut c_void, _len: usize, holder: *mut c_void) {
  // SAFETY: `into_isolate` leaked this box as the deleter's data.
  let holder = unsafe { Box::from_raw(holder as *mut SharedHolder) };
  if let Some(limit) = &holder.limit {
    limit.adjust_external(-(holder.memory.len() as isize));
  }
  registry::reap_later(Box::new(holder.memory));
}

/// Shared memory wrapped for our isolates, by address, so that it can go back to where it came
/// from as what it was.
fn wrapped_memories() -> &'static Mutex<std::collections::HashMap<usize, std::sync::Weak<SharedMemory>>> {
  static MAP: std::sync::OnceLock<Mutex<std::collections::HashMap<usize, std::sync::Weak<SharedMemory>>>> = std::sync::OnceLock::new();
  MAP.get_or_init(Default::default)
}

fn remember(store: &v8::SharedRef<v8::BackingStore>, memory: &Arc<SharedMemory>) {
  if let Some(data) = store.data() {
    let mut map = wrapped_memories().lock();
    map.retain(|_, weak| weak.strong_count() > 0);
    map.insert(data.as_ptr() as usize, Arc::downgrade(memory));
  }
}

fn wrapped(store: &v8::SharedRef<v8::BackingStore>) -> Option<Arc<SharedMemory>> {
  let data = store.data()?;
  wrapped_memories().lock().get(&(data.as_ptr() as usize)).and_then(|weak| weak.upgrade())
}
