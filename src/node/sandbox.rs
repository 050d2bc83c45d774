//! The system-call filter of an out-of-process isolate's child (lib/remote/child.js), installed
//! once the child has loaded everything it needs: from then on, code that broke out of V8 still
//! cannot open a file, make a socket, start a program or reach into another process.
//!
//! It is an allow-list (`ALLOWED`): the calls Node, libuv, V8 and this addon make after the
//! filter is in, found by tracing the children (strace -f): the suites with every isolate out of
//! process on Node 20, test/remote.test.js on Node 22 and 24, bench/remote.js on Node 22. Memory, threads, futexes, timers, epoll and poll,
//! reading, writing and closing the descriptors the child already has, signals to itself. Every
//! other call answers EPERM, softly: the runtimes take a refused call as an error they handle
//! (they already meet EPERM for the files they try to open). `clone` is let through for threads
//! only (CLONE_THREAD), and `clone3`, whose flags a filter cannot read, answers ENOSYS so that
//! glibc falls back to `clone`.
//!
//! libuv in Node 22 and later batches its epoll changes through an io_uring that it sets up at
//! start, before any JavaScript runs, and cannot do without once it has one; yet a ring runs
//! operations (opening files, making sockets) that no system-call filter sees. So a child that
//! holds a ring starts again (same pid, descriptors, arguments and environment) under a first
//! filter that refuses io_uring_setup: libuv then uses epoll_ctl, and the new image installs the
//! allow-list when it comes back here.

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub use filter::{install, ALLOWED};

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod filter {
  use crate::error::{Error, Result};

  /// When a listed call is let through.
  #[derive(Clone, Copy, Debug)]
  pub enum When {
    Always,
    /// Argument `.0` has the bits `.1` set (clone: CLONE_THREAD).
    Has(u8, u32),
    /// Argument `.0` is one of the values `.1` (ioctl's request, prctl's option).
    OneOf(u8, &'static [u32]),
    /// Argument `.0` is this process's id: signals go to this process only.
    ThisProcess(u8),
  }

  const CLONE_THREAD: u32 = 0x0001_0000;
  const FIONBIO: u32 = 0x5421;
  const TCGETS: u32 = 0x5401;
  const PR_SET_NAME: u32 = 15;
  const PR_SET_VMA: u32 = 0x5356_4d41;

  /// The calls let through, by name and x86_64 number, and when.
  pub const ALLOWED: &[(&str, u32, When)] = &[
    // Descriptors the child already has: its channel, stderr, /dev/null, libuv's and V8's own.
    ("read", 0, When::Always),
    ("write", 1, When::Always),
    ("close", 3, When::Always),
    ("fstat", 5, When::Always),
    ("poll", 7, When::Always),
    ("readv", 19, When::Always),
    ("writev", 20, When::Always),
    ("sendto", 44, When::Always),
    ("recvfrom", 45, When::Always),
    ("sendmsg", 46, When::Always),
    ("recvmsg", 47, When::Always),
    ("shutdown", 48, When::Always),
    ("getsockname", 51, When::Always),
    ("getsockopt", 55, When::Always),
    ("fcntl", 72, When::Always),
    // libuv makes descriptors non-blocking with FIONBIO, and asks whether one is a terminal.
    ("ioctl", 16, When::OneOf(1, &[FIONBIO, TCGETS])),
    // The event loop: its epoll, and the pipe and eventfd of a new loop or async handle.
    ("epoll_wait", 232, When::Always),
    ("epoll_ctl", 233, When::Always),
    ("epoll_pwait", 281, When::Always),
    ("epoll_create1", 291, When::Always),
    ("eventfd2", 290, When::Always),
    ("pipe2", 293, When::Always),
    // Memory, including V8's JIT pages and its memory protection keys.
    ("mmap", 9, When::Always),
    ("mprotect", 10, When::Always),
    ("munmap", 11, When::Always),
    ("brk", 12, When::Always),
    ("mremap", 25, When::Always),
    ("madvise", 28, When::Always),
    ("pkey_mprotect", 329, When::Always),
    ("pkey_alloc", 330, When::Always),
    ("pkey_free", 331, When::Always),
    // Threads: new ones (V8's, libuv's pool, this addon's), futexes, scheduling, names.
    ("clone", 56, When::Has(0, CLONE_THREAD)),
    ("set_robust_list", 273, When::Always),
    ("rseq", 334, When::Always),
    ("futex", 202, When::Always),
    ("sched_yield", 24, When::Always),
    ("sched_getparam", 143, When::Always),
    ("sched_getscheduler", 145, When::Always),
    ("sched_getaffinity", 204, When::Always),
    ("gettid", 186, When::Always),
    ("prctl", 157, When::OneOf(0, &[PR_SET_NAME, PR_SET_VMA])),
    ("exit", 60, When::Always),
    ("exit_group", 231, When::Always),
    // Time.
    ("clock_gettime", 228, When::Always),
    ("clock_getres", 229, When::Always),
    ("clock_nanosleep", 230, When::Always),
    ("nanosleep", 35, When::Always),
    ("gettimeofday", 96, When::Always),
    // Signals, to this process only (abort() is tgkill(pid, tid, SIGABRT)).
    ("rt_sigaction", 13, When::Always),
    ("rt_sigprocmask", 14, When::Always),
    ("rt_sigreturn", 15, When::Always),
    ("sigaltstack", 131, When::Always),
    ("restart_syscall", 219, When::Always),
    ("tgkill", 234, When::ThisProcess(0)),
    // About the process and the machine.
    ("getpid", 39, When::Always),
    ("uname", 63, When::Always),
    ("getrandom", 318, When::Always),
  ];

  const CLONE3: u32 = 435;
  const IO_URING_SETUP: u32 = 425;

  // Classic BPF, as seccomp runs it.
  const LOAD: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
  const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
  const JSET: u16 = 0x45; // BPF_JMP | BPF_JSET | BPF_K
  const RET: u16 = 0x06; // BPF_RET | BPF_K
  const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
  const X32_BIT: u32 = 0x4000_0000;
  const ALLOW: u32 = 0x7fff_0000; // SECCOMP_RET_ALLOW
  const ERRNO: u32 = 0x0005_0000; // SECCOMP_RET_ERRNO, the errno in the low bits
  const EPERM: u32 = ERRNO | libc::EPERM as u32;
  const ENOSYS: u32 = ERRNO | libc::ENOSYS as u32;
  // Offsets in seccomp_data.
  const NR: u32 = 0;
  const ARCH: u32 = 4;

  fn op(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
  }

  fn ret(action: u32) -> libc::sock_filter {
    op(RET, 0, 0, action)
  }

  /// Loads the low 32 bits of argument `index`. They are all the kernel reads of the arguments
  /// checked here: ints (a pid, prctl's option, ioctl's request) and clone's flags, whose upper
  /// half it drops.
  fn load_argument(index: u8) -> libc::sock_filter {
    op(LOAD, 0, 0, 16 + 8 * u32::from(index))
  }

  /// The allow-list for process `pid`: the architecture and x32 checks, clone3, a block per
  /// listed call, and EPERM for the rest.
  fn program(pid: u32) -> Vec<libc::sock_filter> {
    let mut program = vec![
      op(LOAD, 0, 0, ARCH),
      op(JEQ, 1, 0, AUDIT_ARCH_X86_64),
      ret(EPERM),
      op(LOAD, 0, 0, NR),
      // x32 calls have numbers of their own (bit 30), which would dodge the list.
      op(JSET, 0, 1, X32_BIT),
      ret(EPERM),
      op(JEQ, 0, 1, CLONE3),
      ret(ENOSYS),
    ];
    for (_, number, when) in ALLOWED {
      let test = test(*when, pid);
      program.push(op(JEQ, 0, test.len() as u8, *number));
      program.extend(test);
    }
    program.push(ret(EPERM));
    program
  }

  /// The instructions that decide a listed call; all of their paths return.
  fn test(when: When, pid: u32) -> Vec<libc::sock_filter> {
    match when {
      When::Always => vec![ret(ALLOW)],
      When::Has(index, bits) => vec![load_argument(index), op(JSET, 0, 1, bits), ret(ALLOW), ret(EPERM)],
      When::OneOf(index, values) => one_of(index, values),
      When::ThisProcess(index) => one_of(index, &[pid]),
    }
  }

  fn one_of(index: u8, values: &[u32]) -> Vec<libc::sock_filter> {
    let mut test = vec![load_argument(index)];
    for (position, value) in values.iter().enumerate() {
      // A match jumps over the comparisons left and the EPERM, to the ALLOW.
      test.push(op(JEQ, (values.len() - position) as u8, 0, *value));
    }
    test.extend([ret(EPERM), ret(ALLOW)]);
    test
  }

  /// The first filter of a child that restarts without io_uring.
  fn io_uring_refusal() -> Vec<libc::sock_filter> {
    vec![op(LOAD, 0, 0, NR), op(JEQ, 0, 1, IO_URING_SETUP), ret(EPERM), ret(ALLOW)]
  }

  /// Installs the filter for every thread of the process, for good (see the module's comment).
  pub fn install() -> Result<()> {
    if holds_io_uring()? {
      restart_without_io_uring()?;
    }
    load(program(std::process::id()))
  }

  /// Whether one of the process's descriptors is an io_uring.
  fn holds_io_uring() -> Result<bool> {
    let entries = std::fs::read_dir("/proc/self/fd").map_err(|error| failed_with(&error))?;
    Ok(entries.flatten().any(|entry| std::fs::read_link(entry.path()).is_ok_and(|target| target.as_os_str() == "anon_inode:[io_uring]")))
  }

  /// Runs this process's program again, with its arguments and environment, under
  /// `io_uring_refusal`; returns only if it could not.
  fn restart_without_io_uring() -> Result<()> {
    if refuses_io_uring() {
      // A ring opened before io_uring was refused: restarting again would not help.
      return Err(Error::generic("isolated-vm: the child holds an io_uring it cannot give up"));
    }
    let arguments = command_line()?;
    let mut pointers: Vec<*const libc::c_char> = arguments.iter().map(|argument| argument.as_ptr()).collect();
    pointers.push(std::ptr::null());
    keep_stdio_and_channel();
    load(io_uring_refusal())?;
    // SAFETY: both strings are NUL-terminated and the argument array ends with a null pointer;
    // execv keeps `environ`, and on success this process is replaced.
    unsafe { libc::execv(c"/proc/self/exe".as_ptr(), pointers.as_ptr()) };
    Err(failed())
  }

  /// Whether a filter refuses io_uring_setup here (a restarted child's does).
  fn refuses_io_uring() -> bool {
    // SAFETY: io_uring_setup without parameters sets up nothing: it answers EFAULT, or a
    // filter's EPERM.
    let status = unsafe { libc::syscall(libc::SYS_io_uring_setup, 0, std::ptr::null_mut::<libc::c_void>()) };
    status == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
  }

  /// This process's arguments, its program's name first.
  fn command_line() -> Result<Vec<std::ffi::CString>> {
    let line = std::fs::read("/proc/self/cmdline").map_err(|error| failed_with(&error))?;
    let arguments = line.strip_suffix(&[0]).unwrap_or(&line).split(|byte| *byte == 0);
    Ok(arguments.map(|argument| std::ffi::CString::new(argument).expect("split at every NUL")).collect())
  }

  /// Keeps descriptors 0 to 3 (stdio and lib/remote/child.js's channel) open across the exec:
  /// Node marks every descriptor it inherits close-on-exec at start (and opens its own so).
  fn keep_stdio_and_channel() {
    for fd in 0..=3 {
      // SAFETY: F_SETFD on a descriptor number; one that is not open answers EBADF, and there
      // is nothing to keep.
      unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    }
  }

  /// Installs `program` for every thread of the process, for good.
  fn load(mut program: Vec<libc::sock_filter>) -> Result<()> {
    let filter = libc::sock_fprog { len: program.len() as u16, filter: program.as_mut_ptr() };
    // SAFETY: PR_SET_NO_NEW_PRIVS takes plain integers; it is what lets an unprivileged process
    // install a filter.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
      return Err(failed());
    }
    // SAFETY: `filter` points at `program`, a valid BPF program that outlives the call (the
    // kernel copies it); TSYNC applies it to every thread of the process.
    let status = unsafe {
      libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, libc::SECCOMP_FILTER_FLAG_TSYNC, &filter as *const libc::sock_fprog)
    };
    if status != 0 {
      return Err(failed());
    }
    Ok(())
  }

  fn failed() -> Error {
    failed_with(&std::io::Error::last_os_error())
  }

  fn failed_with(error: &std::io::Error) -> Error {
    Error::generic(format!("isolated-vm: could not install the system-call filter: {error}"))
  }

  #[cfg(test)]
  mod tests {
    use super::*;

    const PID: u32 = 4242;

    /// What `program` answers to a call, run as the kernel runs it, on a seccomp_data laid out
    /// as libc lays it out.
    fn answer(program: &[libc::sock_filter], arch: u32, nr: i32, args: [u64; 6]) -> u32 {
      let data = libc::seccomp_data { nr, arch, instruction_pointer: 0, args };
      // SAFETY: seccomp_data is plain integers, read as the bytes the kernel hands a filter.
      let bytes = unsafe { std::slice::from_raw_parts((&data as *const libc::seccomp_data).cast::<u8>(), std::mem::size_of_val(&data)) };
      let (mut at, mut accumulator) = (0, 0u32);
      loop {
        let instruction = program[at];
        at += 1;
        let jump = |taken: bool| usize::from(if taken { instruction.jt } else { instruction.jf });
        match instruction.code {
          LOAD => accumulator = u32::from_ne_bytes(bytes[instruction.k as usize..][..4].try_into().unwrap()),
          JEQ => at += jump(accumulator == instruction.k),
          JSET => at += jump(accumulator & instruction.k != 0),
          RET => return instruction.k,
          code => panic!("unexpected instruction {code:#x}"),
        }
      }
    }

    fn call(nr: i64, args: [u64; 6]) -> u32 {
      answer(&program(PID), AUDIT_ARCH_X86_64, nr as i32, args)
    }

    #[test]
    fn listed_calls_pass_and_others_answer_eperm() {
      assert_eq!(call(libc::SYS_read, [0; 6]), ALLOW);
      assert_eq!(call(libc::SYS_getrandom, [0; 6]), ALLOW);
      for refused in [
        libc::SYS_open,
        libc::SYS_openat,
        libc::SYS_openat2,
        libc::SYS_socket,
        libc::SYS_connect,
        libc::SYS_execve,
        libc::SYS_fork,
        libc::SYS_ptrace,
        libc::SYS_kill,
        libc::SYS_tkill,
        libc::SYS_getcwd,
        libc::SYS_newfstatat,
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
      ] {
        assert_eq!(call(refused, [0; 6]), EPERM, "call {refused}");
      }
    }

    #[test]
    fn the_numbers_listed_are_the_calls_named() {
      let known = [
        ("read", libc::SYS_read),
        ("clone", libc::SYS_clone),
        ("prctl", libc::SYS_prctl),
        ("tgkill", libc::SYS_tgkill),
        ("epoll_pwait", libc::SYS_epoll_pwait),
        ("rseq", libc::SYS_rseq),
        ("pkey_alloc", libc::SYS_pkey_alloc),
      ];
      for (name, number) in known {
        assert!(ALLOWED.iter().any(|(listed, listed_number, _)| *listed == name && i64::from(*listed_number) == number), "{name}");
      }
      assert_eq!(i64::from(CLONE3), libc::SYS_clone3);
      assert_eq!(i64::from(IO_URING_SETUP), libc::SYS_io_uring_setup);
    }

    #[test]
    fn clone_makes_threads_only_and_clone3_falls_back_to_it() {
      let thread =
        (libc::CLONE_VM | libc::CLONE_FS | libc::CLONE_FILES | libc::CLONE_SIGHAND | libc::CLONE_THREAD | libc::CLONE_SYSVSEM) as u64;
      assert_eq!(call(libc::SYS_clone, [thread, 0, 0, 0, 0, 0]), ALLOW);
      assert_eq!(call(libc::SYS_clone, [libc::SIGCHLD as u64, 0, 0, 0, 0, 0]), EPERM);
      assert_eq!(call(libc::SYS_clone, [(libc::CLONE_VM | libc::CLONE_VFORK) as u64, 0, 0, 0, 0, 0]), EPERM);
      assert_eq!(call(libc::SYS_clone3, [0; 6]), ENOSYS);
    }

    #[test]
    fn arguments_narrow_ioctl_prctl_and_signals() {
      assert_eq!(call(libc::SYS_ioctl, [3, u64::from(FIONBIO), 0, 0, 0, 0]), ALLOW);
      assert_eq!(call(libc::SYS_ioctl, [3, u64::from(TCGETS), 0, 0, 0, 0]), ALLOW);
      assert_eq!(call(libc::SYS_ioctl, [3, libc::TIOCSTI, 0, 0, 0, 0]), EPERM);
      assert_eq!(call(libc::SYS_prctl, [u64::from(PR_SET_NAME), 0, 0, 0, 0, 0]), ALLOW);
      assert_eq!(call(libc::SYS_prctl, [u64::from(PR_SET_VMA), 0, 0, 0, 0, 0]), ALLOW);
      assert_eq!(call(libc::SYS_prctl, [libc::PR_SET_DUMPABLE as u64, 0, 0, 0, 0, 0]), EPERM);
      assert_eq!(call(libc::SYS_tgkill, [u64::from(PID), 7, libc::SIGABRT as u64, 0, 0, 0]), ALLOW);
      assert_eq!(call(libc::SYS_tgkill, [u64::from(PID) + 1, 7, libc::SIGABRT as u64, 0, 0, 0]), EPERM);
    }

    #[test]
    fn x32_and_other_architectures_answer_eperm() {
      assert_eq!(call(libc::SYS_read | i64::from(X32_BIT), [0; 6]), EPERM);
      const AUDIT_ARCH_I386: u32 = 0x4000_0003;
      assert_eq!(answer(&program(PID), AUDIT_ARCH_I386, libc::SYS_read as i32, [0; 6]), EPERM);
    }

    #[test]
    fn the_first_filter_of_a_restart_refuses_io_uring_setup_only() {
      assert_eq!(answer(&io_uring_refusal(), AUDIT_ARCH_X86_64, libc::SYS_io_uring_setup as i32, [0; 6]), EPERM);
      assert_eq!(answer(&io_uring_refusal(), AUDIT_ARCH_X86_64, libc::SYS_openat as i32, [0; 6]), ALLOW);
    }
  }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub const ALLOWED: &[(&str, u32, ())] = &[];

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub fn install() -> crate::error::Result<()> {
  Err(crate::error::Error::generic("isolated-vm: the system-call filter of out-of-process isolates needs Linux on x86_64"))
}
