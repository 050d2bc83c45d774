//! Values every layer handles, from errors up: strings in their narrowest exact encoding, and
//! JavaScript's primitive values (what a thrown non-error value or a held Node primitive is).

/// A string, kept in the narrowest exact encoding.
#[derive(Clone, Debug)]
pub enum Str {
  Latin1(Vec<u8>),
  Utf16(Vec<u16>),
}

impl Str {
  /// A string from UTF-16 code units, stored one byte per character when it fits (then V8 makes
  /// a one-byte string of it, which is half the size and faster to parse and compare).
  pub fn from_utf16(units: Vec<u16>) -> Str {
    if units.iter().all(|&unit| unit < 0x100) {
      Str::Latin1(units.into_iter().map(|unit| unit as u8).collect())
    } else {
      Str::Utf16(units)
    }
  }

  pub fn to_string_lossy(&self) -> String {
    match self {
      Str::Latin1(bytes) => bytes.iter().map(|&b| b as char).collect(),
      Str::Utf16(units) => String::from_utf16_lossy(units),
    }
  }
}

/// A primitive value of any world (`Transferable` has the same ones, and more).
#[derive(Clone, Debug)]
pub enum Primitive {
  Undefined,
  Null,
  Bool(bool),
  Number(f64),
  BigInt { negative: bool, words: Vec<u64> },
  String(Str),
}
