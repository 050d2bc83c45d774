//! Transfer options (`copy`, `externalCopy`, `reference`, `promise`) as the binding passes them:
//! a bit set validated by the JavaScript facade, which learns the bits from the binding; and the
//! rule that applies them to a value of any world (`transfer_out`).

use std::sync::Arc;

use super::handle::Handle;
use super::{Primitive, Transferable};
use crate::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferType {
  /// Only transferable values pass; what happens to others depends on the operation.
  None,
  Copy,
  ExternalCopy,
  Reference,
  /// `unsafeInherit` references: values are references that also inherit.
  DeepReference,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferOptions {
  pub kind: TransferType,
  /// What to do with a non-transferable value when `kind` is `None`.
  pub fallback: TransferType,
  pub promise: bool,
}

const COPY: u32 = 1;
const EXTERNAL_COPY: u32 = 2;
const REFERENCE: u32 = 4;
const PROMISE: u32 = 8;

/// Every option's bit, by the name the facade gives it (see api::protocol).
pub const BITS: [(&str, u32); 4] = [("COPY", COPY), ("EXTERNAL_COPY", EXTERNAL_COPY), ("REFERENCE", REFERENCE), ("PROMISE", PROMISE)];

impl TransferOptions {
  pub const NONE: TransferOptions = TransferOptions { kind: TransferType::None, fallback: TransferType::None, promise: false };

  pub fn from_bits(bits: u32) -> TransferOptions {
    let kind = if bits & COPY != 0 {
      TransferType::Copy
    } else if bits & EXTERNAL_COPY != 0 {
      TransferType::ExternalCopy
    } else if bits & REFERENCE != 0 {
      TransferType::Reference
    } else {
      TransferType::None
    };
    TransferOptions { kind, fallback: TransferType::None, promise: bits & PROMISE != 0 }
  }

  pub fn with_fallback(mut self, fallback: TransferType) -> TransferOptions {
    self.fallback = fallback;
    self
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn bits_choose_one_kind_in_the_facade_order() {
    assert_eq!(TransferOptions::from_bits(0), TransferOptions::NONE);
    assert_eq!(TransferOptions::from_bits(COPY).kind, TransferType::Copy);
    assert_eq!(TransferOptions::from_bits(EXTERNAL_COPY | REFERENCE).kind, TransferType::ExternalCopy);
    assert_eq!(TransferOptions::from_bits(REFERENCE).kind, TransferType::Reference);
    assert_eq!(TransferOptions::from_bits(COPY | EXTERNAL_COPY | REFERENCE).kind, TransferType::Copy);
  }

  #[test]
  fn promise_combines_with_any_kind() {
    let options = TransferOptions::from_bits(PROMISE | REFERENCE);
    assert_eq!((options.kind, options.promise), (TransferType::Reference, true));
    assert!(!TransferOptions::from_bits(COPY).promise);
    assert_eq!(TransferOptions::from_bits(PROMISE).with_fallback(TransferType::Copy).fallback, TransferType::Copy);
  }
}

/// A value of some world as the transfer rule sees it: bridge::convert implements it for Node
/// values, v8conv for values of our isolates.
pub trait Source {
  /// The value is a promise, or becomes one (the `promise` option, with `options` for its
  /// outcome).
  fn promise(&mut self, options: TransferOptions) -> Result<Transferable>;
  /// Whether the value is an object, and whether a function.
  fn shape(&mut self) -> Result<Shape>;
  /// The native handle of an isolated-vm object.
  fn facade(&mut self) -> Result<Option<Arc<Handle>>>;
  /// A function, as a Callback calling it synchronously.
  fn callback(&mut self) -> Result<Transferable>;
  fn primitive(&mut self) -> Result<Option<Primitive>>;
  fn reference(&mut self, inherit: bool) -> Result<Transferable>;
  /// A structured copy of an object: `Copy` or `ExternalCopy` (`kind`).
  fn copy(&mut self, kind: TransferType) -> Result<Transferable>;
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
  Function,
  Object,
  Other,
}

/// Makes a value transferable (isolated-vm's `OptionalTransferOut`), the same in every world:
/// `None` when it is not transferable under these options. Without an explicit kind, isolated-vm
/// objects, functions (as Callbacks) and primitives pass, others take the fallback.
pub fn transfer_out(source: &mut impl Source, options: TransferOptions) -> Result<Option<Transferable>> {
  if options.promise {
    return source.promise(TransferOptions { promise: false, ..options }).map(Some);
  }
  let kind = if options.kind == TransferType::None {
    let shape = source.shape()?;
    if shape != Shape::Other {
      if let Some(handle) = source.facade()? {
        return handle.transfer_out().map(Some);
      }
      if shape == Shape::Function {
        return source.callback().map(Some);
      }
    }
    if let Some(primitive) = source.primitive()? {
      return Ok(Some(primitive.into()));
    }
    options.fallback
  } else {
    options.kind
  };
  match kind {
    TransferType::None => Ok(None),
    TransferType::Reference => source.reference(false).map(Some),
    TransferType::DeepReference => source.reference(true).map(Some),
    TransferType::Copy => match source.primitive()? {
      Some(primitive) => Ok(Some(primitive.into())),
      None => source.copy(kind).map(Some),
    },
    TransferType::ExternalCopy => source.copy(kind).map(Some),
  }
}
