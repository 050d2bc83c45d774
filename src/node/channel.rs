//! The byte channel between a Node process and the child process of an out-of-process isolate
//! (lib/remote/): a Unix socket both sides read and write with blocking calls, so that a
//! synchronous call can wait for its answer (and serve the calls made back meanwhile) without
//! the event loop. The event loop reads the same socket between calls; both readers run on the
//! JavaScript thread, so they never race.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Reads what `fd` has into `bytes`: the count, 0 once the other side is gone, `None` if nothing
/// came within `spin` and `wait`. While nothing is there, it first polls the socket without
/// sleeping for `spin` (an answer that comes within it arrives in microseconds instead of the
/// tens that waking a sleeping thread takes), then sleeps until bytes come, for `wait` at most
/// (`Duration::MAX`: for as long as it takes).
pub fn read(fd: i32, bytes: &mut [u8], spin: Duration, wait: Duration) -> Result<Option<usize>> {
  let started = Instant::now();
  let until = spin.saturating_add(wait);
  loop {
    // SAFETY: `bytes` is valid for writes of its length for the whole call.
    let count = unsafe { libc::recv(fd, bytes.as_mut_ptr().cast(), bytes.len(), libc::MSG_DONTWAIT) };
    if count >= 0 {
      return Ok(Some(count as usize));
    }
    match std::io::Error::last_os_error().raw_os_error() {
      Some(libc::EINTR) => continue,
      Some(libc::EAGAIN) => {
        let waited = started.elapsed();
        if waited < spin {
          std::hint::spin_loop();
        } else if waited >= until {
          return Ok(None);
        } else {
          self::wait(fd, libc::POLLIN, until - waited)?;
        }
      }
      // A child killed with bytes unread resets the connection: the same as closed.
      Some(libc::ECONNRESET) => return Ok(Some(0)),
      // A pipe (Deno's for a child's stderr): read once something came.
      Some(libc::ENOTSOCK) => return read_pipe(fd, bytes, until.saturating_sub(started.elapsed())),
      _ => return Err(failed("read from")),
    }
  }
}

/// `read` of a pipe: what came within `wait`, `None` if nothing did (a pipe may block reads).
fn read_pipe(fd: i32, bytes: &mut [u8], wait: Duration) -> Result<Option<usize>> {
  let mut poll = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
  let millis = if wait == Duration::MAX { -1 } else { wait.as_millis().min(i32::MAX as u128) as i32 };
  loop {
    // SAFETY: one valid pollfd.
    match unsafe { libc::poll(&mut poll, 1, millis) } {
      0 => return Ok(None),
      count if count > 0 => break,
      _ if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => continue,
      _ => return Err(failed("wait for")),
    }
  }
  loop {
    // SAFETY: `bytes` is valid for writes of its length; the pipe is readable, so this does not
    // block.
    let count = unsafe { libc::read(fd, bytes.as_mut_ptr().cast(), bytes.len()) };
    if count >= 0 {
      return Ok(Some(count as usize));
    }
    if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
      return Err(failed("read from"));
    }
  }
}

/// Writes all of `bytes` to `fd`, waiting for room as needed. Fails once the other side is gone.
pub fn write(fd: i32, mut bytes: &[u8]) -> Result<()> {
  while !bytes.is_empty() {
    // SAFETY: `bytes` is valid for reads of its length; MSG_NOSIGNAL turns a closed peer into
    // EPIPE instead of a SIGPIPE to the whole process.
    let count = unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), libc::MSG_NOSIGNAL) };
    if count >= 0 {
      bytes = &bytes[count as usize..];
      continue;
    }
    match std::io::Error::last_os_error().raw_os_error() {
      Some(libc::EINTR) => continue,
      Some(libc::EAGAIN) => wait(fd, libc::POLLOUT, Duration::MAX)?,
      _ => return Err(failed("write to")),
    }
  }
  Ok(())
}

/// Sleeps until `fd` is ready for `events`, or for `timeout` at most (rounded up to milliseconds;
/// `Duration::MAX`: no limit).
fn wait(fd: i32, events: libc::c_short, timeout: Duration) -> Result<()> {
  let mut poll = libc::pollfd { fd, events, revents: 0 };
  let millis = timeout.as_micros().div_ceil(1000);
  let millis = if timeout == Duration::MAX || millis > i32::MAX as u128 { -1 } else { millis as i32 };
  // SAFETY: one valid pollfd.
  if unsafe { libc::poll(&mut poll, 1, millis) } < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
    return Err(failed("wait for"));
  }
  Ok(())
}

fn failed(what: &str) -> Error {
  Error::generic(format!("isolated-vm: could not {what} the isolate's process: {}", std::io::Error::last_os_error()))
}
