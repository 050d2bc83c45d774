//! The system-call filter of an out-of-process isolate's child (lib/remote/child.js), installed
//! once the child has loaded everything it needs: from then on, code that broke out of V8 still
//! cannot open a file, make a socket, start a program or reach into another process. It is a
//! deny-list of the calls that reach outside the process (listed in `DENIED`), answered EPERM:
//! Node, libuv and V8 keep every call they need to run (memory, threads, timers, the channel's
//! socket), which an allow-list of Node's internals could not promise across runtimes.

use crate::error::{Error, Result};

/// The calls refused, by name and x86_64 number.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub const DENIED: &[(&str, u32)] = &[
  ("open", 2),
  ("socket", 41),
  ("connect", 42),
  ("accept", 43),
  ("bind", 49),
  ("listen", 50),
  ("socketpair", 53),
  ("fork", 57),
  ("vfork", 58),
  ("execve", 59),
  ("truncate", 76),
  ("chdir", 80),
  ("rename", 82),
  ("mkdir", 83),
  ("rmdir", 84),
  ("creat", 85),
  ("link", 86),
  ("unlink", 87),
  ("symlink", 88),
  ("chmod", 90),
  ("chown", 92),
  ("ptrace", 101),
  ("mknod", 133),
  ("chroot", 161),
  ("mount", 165),
  ("openat", 257),
  ("mkdirat", 258),
  ("unlinkat", 263),
  ("renameat", 264),
  ("linkat", 265),
  ("symlinkat", 266),
  ("fchmodat", 268),
  ("accept4", 288),
  ("name_to_handle_at", 303),
  ("open_by_handle_at", 304),
  ("process_vm_readv", 310),
  ("process_vm_writev", 311),
  ("execveat", 322),
  ("bpf", 321),
  ("io_uring_setup", 425),
  ("open_tree", 428),
  ("fsopen", 430),
  ("pidfd_open", 434),
  ("openat2", 437),
];

/// Installs the filter for every thread of the process, for good.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub fn install() -> Result<()> {
  const LOAD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
  const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
  const RET_K: u16 = 0x06; // BPF_RET | BPF_K
  const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
  const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
  const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
  const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;
  let op = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
  // seccomp_data: nr at offset 0, arch at offset 4.
  let mut program = vec![op(LOAD_W_ABS, 0, 0, 4), op(JEQ_K, 1, 0, AUDIT_ARCH_X86_64), op(RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS)];
  program.push(op(LOAD_W_ABS, 0, 0, 0));
  // x32 calls (bit 30) would dodge the numbers below.
  program.push(op(0x45, 0, 1, 0x4000_0000)); // BPF_JMP | BPF_JSET | BPF_K
  program.push(op(RET_K, 0, 0, SECCOMP_RET_ERRNO | libc::EPERM as u32));
  for (_, number) in DENIED {
    program.push(op(JEQ_K, 0, 1, *number));
    program.push(op(RET_K, 0, 0, SECCOMP_RET_ERRNO | libc::EPERM as u32));
  }
  program.push(op(RET_K, 0, 0, SECCOMP_RET_ALLOW));
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

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub const DENIED: &[(&str, u32)] = &[];

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub fn install() -> Result<()> {
  Err(Error::generic("isolated-vm: the system-call filter of out-of-process isolates needs Linux on x86_64"))
}

fn failed() -> Error {
  Error::generic(format!("isolated-vm: could not install the system-call filter: {}", std::io::Error::last_os_error()))
}
