//! Memory limits: one budget for the V8 heap and ArrayBuffer memory together.
//!
//! - The heap is capped through `CreateParams::heap_limits`; when V8 nears it, the near-heap-limit
//!   callback terminates execution, marks the isolate as over its limit and grants headroom so
//!   that V8 can unwind instead of aborting the process.
//! - ArrayBuffer memory goes through our allocator, which refuses allocations that would take
//!   heap + external memory over the limit and stops the isolate.
//! - After each garbage collection the epilogue callback refreshes the heap figure the allocator
//!   uses and terminates the isolate if the total is still over the limit.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Allocations this small may not fail: V8 materializes tiny on-heap typed arrays through the
/// allocator and cannot handle a refusal there. They succeed and the isolate is terminated.
const MUST_SUCCEED_BYTES: usize = 64;

pub struct MemoryLimit {
  /// The limit in bytes.
  pub limit: usize,
  /// ArrayBuffer bytes charged to the isolate: allocated through our allocator, or wrapped for
  /// it (see transfer::buffer). Signed because transfers move charges around in any order.
  external: AtomicIsize,
  /// Used heap bytes as of the last garbage collection (or statistics read).
  heap_used: AtomicUsize,
  /// Set once the isolate went over its limit; the isolate is then disposed.
  hit: AtomicBool,
  /// The most heap (garbage included) plus external memory seen, at garbage
  /// collections and ArrayBuffer allocations.
  peak: AtomicUsize,
  handle: OnceLock<v8::IsolateHandle>,
}

impl MemoryLimit {
  pub fn new(limit: usize) -> MemoryLimit {
    MemoryLimit {
      limit,
      external: AtomicIsize::new(0),
      heap_used: AtomicUsize::new(0),
      hit: AtomicBool::new(false),
      peak: AtomicUsize::new(0),
      handle: OnceLock::new(),
    }
  }

  pub fn attach(&self, handle: v8::IsolateHandle) {
    let _ = self.handle.set(handle);
  }

  pub fn external_bytes(&self) -> usize {
    self.external.load(Ordering::Relaxed).max(0) as usize
  }

  pub fn was_hit(&self) -> bool {
    self.hit.load(Ordering::Acquire)
  }

  /// Records that the limit was exceeded and stops whatever JavaScript is running.
  pub fn trip(&self) {
    self.hit.store(true, Ordering::Release);
    if let Some(handle) = self.handle.get() {
      handle.terminate_execution();
    }
  }

  pub fn record_heap_used(&self, used: usize) {
    self.heap_used.store(used, Ordering::Relaxed);
  }

  fn record_peak(&self, heap: usize) {
    self.peak.fetch_max(heap.saturating_add(self.external_bytes()), Ordering::Relaxed);
  }

  pub fn peak(&self) -> usize {
    self.peak.load(Ordering::Relaxed)
  }

  /// Moves bytes in or out of the budget without checking the limit (memory that left the
  /// isolate without being freed, or came back).
  pub fn adjust_external(&self, delta: isize) {
    self.external.fetch_add(delta, Ordering::Relaxed);
  }

  /// Whether `len` more bytes would keep heap plus external memory within the limit.
  pub fn fits(&self, len: usize) -> bool {
    let used = self.heap_used.load(Ordering::Relaxed).saturating_add(self.external_bytes());
    used.saturating_add(len) <= self.limit
  }

  /// Charges `len` bytes if heap plus external memory stays within the limit.
  pub fn try_charge(&self, len: usize) -> bool {
    let heap = self.heap_used.load(Ordering::Relaxed) as isize;
    let len = len.min(isize::MAX as usize) as isize;
    let limit = self.limit.min(isize::MAX as usize) as isize;
    let mut current = self.external.load(Ordering::Relaxed);
    loop {
      if heap.saturating_add(current).saturating_add(len) > limit {
        return false;
      }
      match self.external.compare_exchange_weak(current, current + len, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => {
          self.record_peak(heap as usize);
          return true;
        }
        Err(actual) => current = actual,
      }
    }
  }

  fn allocate(&self, len: usize, zeroed: bool) -> *mut c_void {
    if !self.try_charge(len) {
      // Going over the limit stops the isolate, whatever the allocation.
      self.trip();
      if len > MUST_SUCCEED_BYTES {
        return std::ptr::null_mut();
      }
      self.adjust_external(len as isize);
    }
    // `calloc`/`malloc` never return null for a zero-sized request on glibc, but V8 is fine
    // with null there too; ask for at least one byte to keep the pointer unique.
    let size = len.max(1);
    let ptr = unsafe { if zeroed { libc::calloc(size, 1) } else { libc::malloc(size) } };
    if ptr.is_null() {
      self.adjust_external(-(len as isize));
    }
    ptr
  }
}

unsafe extern "C" fn allocate(limit: &MemoryLimit, len: usize) -> *mut c_void {
  limit.allocate(len, true)
}

unsafe extern "C" fn allocate_uninitialized(limit: &MemoryLimit, len: usize) -> *mut c_void {
  limit.allocate(len, false)
}

unsafe extern "C" fn free(limit: &MemoryLimit, data: *mut c_void, len: usize) {
  limit.adjust_external(-(len as isize));
  unsafe { libc::free(data) };
}

unsafe extern "C" fn drop_limit(limit: *const MemoryLimit) {
  // The allocator holds one strong count of the shared `MemoryLimit` (see `allocator`).
  drop(unsafe { std::sync::Arc::from_raw(limit) });
}

static VTABLE: v8::RustAllocatorVtable<MemoryLimit> = v8::RustAllocatorVtable {
  allocate,
  allocate_uninitialized,
  free,
  drop: drop_limit,
};

/// Builds the ArrayBuffer allocator of an isolate, counting against `limit`.
pub fn allocator(limit: &std::sync::Arc<MemoryLimit>) -> v8::UniqueRef<v8::Allocator> {
  let raw = std::sync::Arc::into_raw(limit.clone());
  unsafe { v8::new_rust_allocator(raw, &VTABLE) }
}

/// Near-heap-limit callback: `data` is the isolate's `MemoryLimit`.
///
/// A real V8 out-of-memory aborts the process, so this never lets V8 reach one: it terminates
/// the running code and raises the heap limit enough for V8 to unwind.
pub unsafe extern "C" fn near_heap_limit(data: *mut c_void, current: usize, _initial: usize) -> usize {
  let limit = unsafe { &*(data as *const MemoryLimit) };
  limit.trip();
  current + limit.limit.max(16 << 20)
}

/// GC epilogue callback: `data` is the isolate's `MemoryLimit`.
pub unsafe extern "C" fn after_gc(isolate: v8::UnsafeRawIsolatePtr, _gc_type: v8::GCType, _flags: v8::GCCallbackFlags, data: *mut c_void) {
  let (limit, used) = unsafe { limit_and_heap(isolate, data) };
  limit.record_heap_used(used);
  if used + limit.external_bytes() > limit.limit {
    limit.trip();
  }
}

/// GC prologue callback: records the heap at its fullest (garbage included) for `peak`.
pub unsafe extern "C" fn before_gc(isolate: v8::UnsafeRawIsolatePtr, _gc_type: v8::GCType, _flags: v8::GCCallbackFlags, data: *mut c_void) {
  let (limit, used) = unsafe { limit_and_heap(isolate, data) };
  limit.record_peak(used);
}

/// The `MemoryLimit` a GC callback was registered with, and the isolate's used heap now.
unsafe fn limit_and_heap<'a>(isolate: v8::UnsafeRawIsolatePtr, data: *mut c_void) -> (&'a MemoryLimit, usize) {
  let limit = unsafe { &*(data as *const MemoryLimit) };
  let mut isolate = unsafe { v8::Isolate::from_raw_isolate_ptr(isolate) };
  (limit, isolate.get_heap_statistics().used_heap_size())
}
