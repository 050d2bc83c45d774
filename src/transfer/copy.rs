//! `ExternalCopy` data: a value stored outside any isolate, copied into any number of them.
//!
//! Primitives are kept as they are. ArrayBuffers and typed arrays at the top level are kept as
//! raw bytes (moved rather than copied with `transferOut`); SharedArrayBuffers as the shared
//! memory. Everything else is kept in V8's serialization format (the structured clone
//! algorithm), with what it refers to kept out of band: transferred ArrayBuffers, shared
//! memory, compiled WebAssembly modules and isolated-vm objects (host objects).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::buffer::{Bytes, SharedMemory};
use super::Transferable;
use crate::error::{Error, Result};

static TOTAL_SIZE: AtomicUsize = AtomicUsize::new(0);

/// `ExternalCopy.totalExternalSize`: bytes held by live copies.
pub fn total_external_size() -> usize {
  TOTAL_SIZE.load(Ordering::Relaxed)
}

/// The kind of an ArrayBuffer view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
  Uint8,
  Uint8Clamped,
  Int8,
  Uint16,
  Int16,
  Uint32,
  Int32,
  Float16,
  Float32,
  Float64,
  BigInt64,
  BigUint64,
  DataView,
}

impl ViewKind {
  pub fn element_size(self) -> usize {
    match self {
      ViewKind::Uint8 | ViewKind::Uint8Clamped | ViewKind::Int8 | ViewKind::DataView => 1,
      ViewKind::Uint16 | ViewKind::Int16 | ViewKind::Float16 => 2,
      ViewKind::Uint32 | ViewKind::Int32 | ViewKind::Float32 => 4,
      ViewKind::Float64 | ViewKind::BigInt64 | ViewKind::BigUint64 => 8,
    }
  }

  /// The constructor name, as the Node side creates views by name.
  pub fn name(self) -> &'static str {
    match self {
      ViewKind::Uint8 => "Uint8Array",
      ViewKind::Uint8Clamped => "Uint8ClampedArray",
      ViewKind::Int8 => "Int8Array",
      ViewKind::Uint16 => "Uint16Array",
      ViewKind::Int16 => "Int16Array",
      ViewKind::Uint32 => "Uint32Array",
      ViewKind::Int32 => "Int32Array",
      ViewKind::Float16 => "Float16Array",
      ViewKind::Float32 => "Float32Array",
      ViewKind::Float64 => "Float64Array",
      ViewKind::BigInt64 => "BigInt64Array",
      ViewKind::BigUint64 => "BigUint64Array",
      ViewKind::DataView => "DataView",
    }
  }

  pub fn from_name(name: &str) -> Option<ViewKind> {
    [
      ViewKind::Uint8,
      ViewKind::Uint8Clamped,
      ViewKind::Int8,
      ViewKind::Uint16,
      ViewKind::Int16,
      ViewKind::Uint32,
      ViewKind::Int32,
      ViewKind::Float16,
      ViewKind::Float32,
      ViewKind::Float64,
      ViewKind::BigInt64,
      ViewKind::BigUint64,
      ViewKind::DataView,
    ]
    .into_iter()
    .find(|kind| kind.name() == name)
  }
}

/// A view over a copied buffer: kind, offset and length in bytes.
#[derive(Clone, Copy, Debug)]
pub struct View {
  pub kind: ViewKind,
  pub byte_offset: usize,
  pub byte_length: usize,
}

/// A value in V8's serialization format and what it refers to out of band.
pub struct Serialized {
  pub bytes: Vec<u8>,
  /// ArrayBuffers of the transfer list, by transfer id. Copied into each receiver, or moved
  /// (once) with `transferIn`.
  pub buffers: Mutex<Vec<Option<Bytes>>>,
  pub shared: Vec<Arc<SharedMemory>>,
  pub wasm: Vec<v8::CompiledWasmModule>,
  /// isolated-vm objects inside the value, by host object index.
  pub handles: Vec<Transferable>,
}

pub enum Payload {
  Primitive(Transferable),
  /// An ArrayBuffer, or a view over one (the copy keeps the whole buffer, as isolated-vm does).
  Buffer {
    bytes: Mutex<Option<Bytes>>,
    view: Option<View>,
  },
  /// A SharedArrayBuffer, or a view over one.
  Shared {
    memory: Arc<SharedMemory>,
    view: Option<View>,
  },
  Serialized(Serialized),
}

pub struct CopyData {
  pub payload: Payload,
  size: usize,
}

impl CopyData {
  pub fn new(payload: Payload) -> Arc<CopyData> {
    let size = match &payload {
      Payload::Primitive(Transferable::String(s)) => match s {
        super::Str::Latin1(bytes) => bytes.len(),
        super::Str::Utf16(units) => units.len() * 2,
      },
      Payload::Primitive(_) => 8,
      Payload::Buffer { bytes, .. } => bytes.lock().as_ref().map_or(0, Bytes::len),
      Payload::Shared { memory, .. } => memory.len(),
      Payload::Serialized(serialized) => serialized.bytes.len() + serialized.buffers.lock().iter().flatten().map(Bytes::len).sum::<usize>(),
    };
    TOTAL_SIZE.fetch_add(size, Ordering::Relaxed);
    Arc::new(CopyData { payload, size })
  }

  pub fn size(&self) -> usize {
    self.size
  }

  /// For a copy of an ArrayBuffer (cached data, snapshots): its bytes.
  pub fn array_buffer_bytes(&self) -> Option<Vec<u8>> {
    match &self.payload {
      Payload::Buffer { bytes, view: None } => bytes.lock().as_ref().map(|b| b.as_slice().to_vec()),
      _ => None,
    }
  }

  /// The bytes of an ArrayBuffer copy, taking them when `take` (transferIn).
  pub fn buffer_bytes(bytes: &Mutex<Option<Bytes>>, take: bool) -> Result<Bytes> {
    let mut bytes = bytes.lock();
    let current = bytes.as_ref().ok_or_else(|| Error::generic("Array buffer is invalid"))?;
    if take {
      Ok(bytes.take().expect("checked above"))
    } else {
      Ok(Bytes::copy_of(current.as_slice()))
    }
  }
}

impl Drop for CopyData {
  fn drop(&mut self) {
    TOTAL_SIZE.fetch_sub(self.size, Ordering::Relaxed);
  }
}

impl std::fmt::Debug for CopyData {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "CopyData({} bytes)", self.size)
  }
}
