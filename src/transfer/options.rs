//! Transfer options (`copy`, `externalCopy`, `reference`, `promise`) as the binding passes them:
//! a bit set validated by the JavaScript facade, which learns the bits from the binding.

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
