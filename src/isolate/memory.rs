//! Memory limits: one budget for the V8 heap and the memory an isolate holds outside it
//! (ArrayBuffers, shared memory, external strings).
//!
//! The verdict "over the limit" is only ever given after full garbage collections: an isolate
//! whose live memory fits is never stopped, however much garbage it made.
//!
//! - ArrayBuffer memory goes through our allocator, which refuses allocations that would take
//!   heap plus external memory over the limit. V8 then collects garbage and asks again, and if
//!   the memory still does not fit, the allocation throws V8's catchable
//!   `RangeError: Array buffer allocation failed` (as in isolated-vm); the isolate goes on.
//! - The heap is capped through V8's old generation size. V8 calls the near-heap-limit callback
//!   when full collections could not make room for a heap allocation: the live heap does not
//!   fit, and the isolate is stopped (terminated and marked to be disposed). The callback grants
//!   headroom for the code to unwind, since V8 would abort the process otherwise, up to a cap.
//! - After a full collection, heap plus external memory over the limit asks for a verdict: a
//!   collection of all available garbage (`low_memory_notification`), run outside of any GC
//!   (from an interrupt while JavaScript runs, or at the end of the task), which stops the
//!   isolate if it still ends over the limit.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Allocations this small may not fail: V8 materializes tiny on-heap typed arrays through the
/// allocator and cannot handle a refusal there. They succeed and the isolate is terminated.
const MUST_SUCCEED_BYTES: usize = 64;

/// The least headroom the near-heap-limit callback grants (it grants the memory limit, at
/// least this): enough for the allocation under way and for the code to unwind.
const MIN_HEADROOM: usize = 16 << 20;

/// The most V8's heap may be given, in memory limits plus a constant. Code that still needs
/// more has been running in a built-in that never checks for termination (JSON.parse of a huge
/// input, one giant array) since it was stopped: V8 then fails fatally rather than take the
/// machine's memory (see ops::catastrophe for what happens next).
const MAX_HEAP_LIMITS: usize = 3;
const MAX_HEAP_EXTRA: usize = 64 << 20;

pub struct MemoryLimit {
  /// The limit in bytes.
  pub limit: usize,
  /// What V8's heap limit holds beyond the limit (the young generation's share), also granted:
  /// heap figures include young objects, and are read at collections, between which the heap
  /// grows (as in isolated-vm, whose checks allow the same).
  slack: AtomicUsize,
  /// Bytes outside V8's heap charged to the isolate: ArrayBuffers allocated through our
  /// allocator or wrapped for it (see transfer::buffer), shared memory it holds, external
  /// strings. Signed because transfers move charges around in any order.
  external: AtomicIsize,
  /// Used heap bytes as of the last garbage collection (or statistics read).
  heap_used: AtomicUsize,
  /// Set once the isolate went over its limit; the isolate is then disposed.
  hit: AtomicBool,
  /// A verdict (a full collection of all garbage) has been asked for and has not run yet.
  verdict_wanted: AtomicBool,
  /// The allocator refused an ArrayBuffer since the last garbage collection: V8 is collecting
  /// garbage to try again (see `near_heap_limit`).
  refused: AtomicBool,
  /// V8's heap limit was raised without a verdict, and not restored yet.
  raised: AtomicBool,
  /// The most heap (garbage included) plus external memory seen, at garbage
  /// collections and ArrayBuffer allocations.
  peak: AtomicUsize,
  handle: OnceLock<v8::IsolateHandle>,
}

impl MemoryLimit {
  pub fn new(limit: usize) -> MemoryLimit {
    MemoryLimit {
      limit,
      slack: AtomicUsize::new(0),
      external: AtomicIsize::new(0),
      heap_used: AtomicUsize::new(0),
      hit: AtomicBool::new(false),
      verdict_wanted: AtomicBool::new(false),
      refused: AtomicBool::new(false),
      raised: AtomicBool::new(false),
      peak: AtomicUsize::new(0),
      handle: OnceLock::new(),
    }
  }

  /// Ties the budget to its isolate, whose heap limit V8 set to `heap_limit`.
  pub fn attach(&self, handle: v8::IsolateHandle, heap_limit: usize) {
    let _ = self.handle.set(handle);
    self.slack.store(heap_limit.saturating_sub(self.limit), Ordering::Relaxed);
  }

  /// The limit with its slack: what heap plus external memory may reach.
  fn ceiling(&self) -> usize {
    self.limit.saturating_add(self.slack.load(Ordering::Relaxed))
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

  fn over(&self, heap_used: usize) -> bool {
    heap_used.saturating_add(self.external_bytes()) > self.ceiling()
  }

  /// Whether `len` more bytes would keep heap plus external memory within the limit.
  pub fn fits(&self, len: usize) -> bool {
    let used = self.heap_used.load(Ordering::Relaxed).saturating_add(self.external_bytes());
    used.saturating_add(len) <= self.ceiling()
  }

  /// Charges `len` bytes if heap plus external memory stays within the limit.
  pub fn try_charge(&self, len: usize) -> bool {
    let heap = self.heap_used.load(Ordering::Relaxed) as isize;
    let len = len.min(isize::MAX as usize) as isize;
    let limit = self.ceiling().min(isize::MAX as usize) as isize;
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

  /// Asks for a verdict: at the next interrupt check if JavaScript is running, else when the
  /// current task ends (see `run_verdict`).
  fn want_verdict(&self) {
    if !self.verdict_wanted.swap(true, Ordering::AcqRel) {
      if let Some(handle) = self.handle.get() {
        handle.request_interrupt(verdict_interrupt, self as *const MemoryLimit as *mut c_void);
      }
    }
  }

  /// Runs the verdict asked for, if any: a full collection of all garbage, whose epilogue
  /// stops the isolate if it is still over its limit. Must be called with the isolate locked
  /// and outside of a garbage collection.
  pub fn run_verdict(&self, isolate: &mut v8::Isolate) {
    if !self.verdict_wanted.swap(false, Ordering::AcqRel) || self.was_hit() {
      return;
    }
    isolate.low_memory_notification();
    if !self.was_hit() && self.raised.swap(false, Ordering::AcqRel) {
      // The live memory fits: take back the headroom granted (V8 keeps the limit above what the
      // heap holds now).
      isolate.remove_near_heap_limit_callback(near_heap_limit, self.limit);
      isolate.add_near_heap_limit_callback(near_heap_limit, self as *const MemoryLimit as *mut c_void);
    }
  }

  fn allocate(&self, len: usize, zeroed: bool) -> *mut c_void {
    if !self.try_charge(len) {
      if len > MUST_SUCCEED_BYTES {
        // V8 collects garbage and asks again, then throws a RangeError.
        self.refused.store(true, Ordering::Release);
        return std::ptr::null_mut();
      }
      self.adjust_external(len as isize);
      self.trip();
    }
    // `calloc`/`malloc` never return null for a zero-sized request on glibc, but V8 is fine
    // with null there too; ask for at least one byte to keep the pointer unique.
    let size = len.max(1);
    // SAFETY: plain allocations of a non-zero size; null is handled below.
    let ptr = unsafe {
      if zeroed {
        libc::calloc(size, 1)
      } else {
        libc::malloc(size)
      }
    };
    if ptr.is_null() {
      self.adjust_external(-(len as isize));
    }
    ptr
  }
}

unsafe extern "C" fn verdict_interrupt(isolate: v8::UnsafeRawIsolatePtr, data: *mut c_void) {
  // SAFETY: `data` is the isolate's `MemoryLimit`, which the isolate's allocator keeps alive for
  // as long as the isolate exists; interrupts run on the isolate's thread with it locked.
  let limit = unsafe { &*(data as *const MemoryLimit) };
  // SAFETY: as above, V8 runs the interrupt on the thread that has the isolate locked.
  let mut isolate = unsafe { v8::Isolate::from_raw_isolate_ptr(isolate) };
  limit.run_verdict(&mut isolate);
}

unsafe extern "C" fn allocate(limit: &MemoryLimit, len: usize) -> *mut c_void {
  limit.allocate(len, true)
}

unsafe extern "C" fn allocate_uninitialized(limit: &MemoryLimit, len: usize) -> *mut c_void {
  limit.allocate(len, false)
}

unsafe extern "C" fn free(limit: &MemoryLimit, data: *mut c_void, len: usize) {
  limit.adjust_external(-(len as isize));
  // SAFETY: V8 frees what `allocate` or `allocate_uninitialized` returned, once.
  unsafe { libc::free(data) };
}

unsafe extern "C" fn drop_limit(limit: *const MemoryLimit) {
  // SAFETY: the allocator holds one strong count of the shared `MemoryLimit` (see `allocator`),
  // which V8 gives back once, when it drops the allocator.
  drop(unsafe { std::sync::Arc::from_raw(limit) });
}

static VTABLE: v8::RustAllocatorVtable<MemoryLimit> = v8::RustAllocatorVtable { allocate, allocate_uninitialized, free, drop: drop_limit };

/// Builds the ArrayBuffer allocator of an isolate, counting against `limit`.
pub fn allocator(limit: &std::sync::Arc<MemoryLimit>) -> v8::UniqueRef<v8::Allocator> {
  let raw = std::sync::Arc::into_raw(limit.clone());
  // SAFETY: `raw` is a live `MemoryLimit`, which is what every function of `VTABLE` expects, and
  // the allocator owns its count (released by `drop_limit`).
  unsafe { v8::new_rust_allocator(raw, &VTABLE) }
}

/// Puts `isolate` under `limit`: the limit's ArrayBuffer allocator must be the isolate's.
pub fn watch(isolate: &mut v8::Isolate, limit: &std::sync::Arc<MemoryLimit>) {
  limit.attach(isolate.thread_safe_handle(), isolate.get_heap_statistics().heap_size_limit());
  let data = std::sync::Arc::as_ptr(limit) as *mut c_void;
  isolate.add_near_heap_limit_callback(near_heap_limit, data);
  isolate.add_gc_prologue_callback(before_gc, data, v8::GCType::kGCTypeAll);
  isolate.add_gc_epilogue_callback(after_gc, data, v8::GCType::kGCTypeAll);
}

/// Near-heap-limit callback: `data` is the isolate's `MemoryLimit`.
///
/// V8 calls it once full collections failed to make room for a heap allocation (the
/// last-resort one follows, but cannot free what two full collections before it kept): the
/// live heap does not fit, and the code is stopped. V8 also calls it before its last attempt
/// at an ArrayBuffer our allocator refused: then only a verdict is asked for (the allocation
/// itself fails with a RangeError). A real V8 out-of-memory aborts the process, so this never
/// lets V8 reach one: it raises the heap limit enough for V8 to go on (V8 may have let the
/// heap grow past its limit already).
unsafe extern "C" fn near_heap_limit(data: *mut c_void, current: usize, _initial: usize) -> usize {
  // SAFETY: `watch` registered the isolate's `MemoryLimit`, which its allocator keeps alive for
  // as long as the isolate exists.
  let limit = unsafe { &*(data as *const MemoryLimit) };
  let most = MAX_HEAP_LIMITS * limit.limit + MAX_HEAP_EXTRA;
  if limit.refused.swap(false, Ordering::AcqRel) {
    limit.raised.store(true, Ordering::Release);
    limit.want_verdict();
  } else if limit.was_hit() {
    // Stopped already, yet still allocating: in a built-in that does not check for
    // termination. Collecting garbage again at every step would only slow it down.
    return most.max(current);
  } else {
    limit.trip();
  }
  let wanted = current.max(limit.heap_used.load(Ordering::Relaxed)) + limit.limit.max(MIN_HEADROOM);
  wanted.min(most).max(current)
}

/// GC epilogue callback: `data` is the isolate's `MemoryLimit`.
unsafe extern "C" fn after_gc(isolate: v8::UnsafeRawIsolatePtr, gc_type: v8::GCType, flags: v8::GCCallbackFlags, data: *mut c_void) {
  // SAFETY: V8 calls GC callbacks on the isolate's thread with the data `watch` registered.
  let (limit, used) = unsafe { limit_and_heap(isolate, data) };
  limit.record_heap_used(used);
  limit.refused.store(false, Ordering::Release);
  if gc_type != v8::GCType::kGCTypeMarkSweepCompact || !limit.over(used) {
    return;
  }
  let thorough = v8::GCCallbackFlags::kGCCallbackFlagCollectAllAvailableGarbage
    | v8::GCCallbackFlags::kGCCallbackFlagForced
    | v8::GCCallbackFlags::kGCCallbackFlagLastResort;
  if (flags & thorough).0 != 0 {
    limit.trip();
  } else {
    limit.want_verdict();
  }
}

/// GC prologue callback: records the heap at its fullest (garbage included) for `peak`.
unsafe extern "C" fn before_gc(isolate: v8::UnsafeRawIsolatePtr, _gc_type: v8::GCType, _flags: v8::GCCallbackFlags, data: *mut c_void) {
  // SAFETY: as in `after_gc`.
  let (limit, used) = unsafe { limit_and_heap(isolate, data) };
  limit.record_peak(used);
}

/// The `MemoryLimit` a GC callback was registered with, and the isolate's used heap now.
///
/// # Safety
/// Called from a GC callback that `watch` registered, with its arguments.
unsafe fn limit_and_heap<'a>(isolate: v8::UnsafeRawIsolatePtr, data: *mut c_void) -> (&'a MemoryLimit, usize) {
  // SAFETY: `data` is the isolate's `MemoryLimit` (see `near_heap_limit`).
  let limit = unsafe { &*(data as *const MemoryLimit) };
  // SAFETY: GC callbacks run on the thread that has the isolate locked.
  let mut isolate = unsafe { v8::Isolate::from_raw_isolate_ptr(isolate) };
  (limit, isolate.get_heap_statistics().used_heap_size())
}
