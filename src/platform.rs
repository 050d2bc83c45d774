//! Process-wide V8 start-up, exactly once.

use std::sync::OnceLock;

static PLATFORM: OnceLock<v8::SharedRef<v8::Platform>> = OnceLock::new();

/// What V8 calls on a fatal error (see `SetFatalFunction` below).
pub type FatalFunction = unsafe extern "C" fn(file: *const std::ffi::c_char, line: i32, message: *const std::ffi::c_char);

/// Starts our V8, with `fatal_error` as its hook for fatal errors. Safe to call from any thread,
/// any number of times: only the first call does the work, later ones wait until it is done.
pub fn init(fatal_error: FatalFunction) {
  PLATFORM.get_or_init(|| {
    // The user's flags (src/flags.rs) are in; ours, set below, override them.
    crate::flags::freeze();
    // The protected platform needs every thread to be created after V8 starts, which Node's
    // threads are not. The WebAssembly trap handler is never enabled: Node owns SIGSEGV.
    // V8 pools the pages of a destroyed isolate for other isolates and releases them with
    // tasks of those isolates, which only run while they work: idle processes would keep the
    // memory of every isolate they ever disposed. Release it when the isolate goes.
    v8::V8::set_flags_from_string("--no-memory-pool-share-memory-on-teardown");
    // Turboshaft's loop unrolling analysis drops the interrupt checks of loops it believes
    // short, and a flag it leaves set drops the check of the next loop too: the enclosing one,
    // however long it runs (`for (;;) new Array(1000).fill(0)`). Code compiled that way can
    // never be stopped: not by a timeout, not by the memory limit, not by dispose().
    v8::V8::set_flags_from_string("--no-turboshaft-loop-unrolling");
    // SAFETY: V8's own hook for fatal errors, set before anything can fail.
    unsafe { SetFatalFunction(fatal_error) };
    // V8 seeds its random numbers (Math.random, hash seeds) from /dev/urandom, and from the
    // clock where it cannot open it: as in the child of an out-of-process isolate, whose
    // system-call filter refuses every open (src/node/sandbox.rs). getrandom needs no file.
    v8::V8::set_entropy_source(fill_random);
    let platform = v8::new_unprotected_default_platform(0, false).make_shared();
    v8::V8::initialize_platform(platform.clone());
    v8::V8::initialize();
    platform
  });
}

/// Fills `bytes` from the kernel's random source; false where it cannot.
fn fill_random(bytes: &mut [u8]) -> bool {
  let mut filled = 0;
  while filled < bytes.len() {
    let rest = &mut bytes[filled..];
    // SAFETY: `rest` is valid for writes of its length.
    let count = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
    if count > 0 {
      filled += count as usize;
    } else if count < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
      return false;
    }
  }
  true
}

/// Whether V8 has started (`init`).
pub fn started() -> bool {
  PLATFORM.get().is_some()
}

/// Runs the foreground tasks V8 posted for this isolate (GC follow-ups, wasm tier-up,
/// `Atomics.waitAsync`, FinalizationRegistry clean-up). Called with the isolate locked after
/// each unit of work, so the platform's queue never grows without bound.
pub fn pump_foreground_tasks(isolate: &v8::Isolate) {
  if let Some(platform) = PLATFORM.get() {
    while v8::Platform::pump_message_loop(platform, isolate, false) {}
  }
}

// SAFETY: the declaration is V8's `void SetFatalFunction(void (*)(const char*, int, const
// char*))`, under its mangled name.
unsafe extern "C" {
  /// `v8::base::SetFatalFunction`: V8 calls the function on a fatal error before aborting, and
  /// does not abort if it never returns. Not bound by the v8 crate; part of its V8 library.
  #[link_name = "_ZN2v84base16SetFatalFunctionEPFvPKciS2_E"]
  fn SetFatalFunction(function: FatalFunction);
}

#[cfg(test)]
mod tests {
  #[test]
  fn fill_random_fills_every_byte_differently_each_time() {
    let (mut a, mut b) = ([0u8; 4096], [0u8; 4096]);
    assert!(super::fill_random(&mut a) && super::fill_random(&mut b));
    assert_ne!(a, b);
    // 4096 random bytes: each of the 256 values shows up, none 4 times as often as it should.
    let mut counts = [0u32; 256];
    a.iter().for_each(|&byte| counts[byte as usize] += 1);
    assert!(counts.iter().all(|&count| count > 0 && count < 64), "{counts:?}");
  }
}
