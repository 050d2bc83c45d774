//! Binary data we hand out for V8 to read back (code caches, snapshots), sealed with a checksum.
//!
//! V8 checks that such data was made by the same V8 (and, for code caches, for the same source
//! length and flags), but in release builds not that its contents are intact: damaged data would
//! be deserialized as is, into garbage code or a crash. So the data carries a header with a kind
//! and a checksum of V8's payload, and data that does not match is refused before V8 sees it.

/// What sealed data holds, as the first bytes of its header.
#[derive(Clone, Copy)]
pub enum Kind {
  CodeCache,
  Snapshot,
}

impl Kind {
  fn magic(self) -> &'static [u8; 4] {
    match self {
      Kind::CodeCache => b"IVMc",
      Kind::Snapshot => b"IVMs",
    }
  }
}

const HEADER: usize = 4 + 8 + 8;

/// The code cache given to a compile.
pub enum GivenCache {
  None,
  /// Not ours, damaged or truncated: rejected without reaching V8.
  Invalid,
  /// Intact: V8's payload follows the header.
  Valid(Vec<u8>),
}

impl GivenCache {
  pub fn from_sealed(sealed: Option<Vec<u8>>) -> GivenCache {
    match sealed {
      None => GivenCache::None,
      Some(sealed) if unseal(Kind::CodeCache, &sealed).is_some() => GivenCache::Valid(sealed),
      Some(_) => GivenCache::Invalid,
    }
  }

  /// V8's payload, when valid.
  pub fn payload(&self) -> Option<&[u8]> {
    match self {
      GivenCache::Valid(sealed) => Some(&sealed[HEADER..]),
      _ => None,
    }
  }
}

/// V8's data, with the header `unseal` checks.
pub fn seal(kind: Kind, payload: &[u8]) -> Vec<u8> {
  let mut sealed = Vec::with_capacity(HEADER + payload.len());
  sealed.extend_from_slice(kind.magic());
  sealed.extend_from_slice(&(payload.len() as u64).to_le_bytes());
  sealed.extend_from_slice(&checksum(payload).to_le_bytes());
  sealed.extend_from_slice(payload);
  sealed
}

/// V8's data, if `sealed` is intact data of this kind.
pub fn unseal(kind: Kind, sealed: &[u8]) -> Option<&[u8]> {
  if sealed.len() < HEADER || &sealed[..4] != kind.magic() {
    return None;
  }
  let length = u64::from_le_bytes(sealed[4..12].try_into().ok()?);
  let sum = u64::from_le_bytes(sealed[12..20].try_into().ok()?);
  let payload = &sealed[HEADER..];
  (payload.len() as u64 == length && checksum(payload) == sum).then_some(payload)
}

/// A fast 64-bit checksum: four independent multiply-xorshift lanes over 32-byte blocks (so
/// the CPU runs them in parallel), then the tail. It guards against damage, not against forgery:
/// cached data must come from a trusted place, as isolated-vm documents.
fn checksum(bytes: &[u8]) -> u64 {
  const K: u64 = 0x9E37_79B9_7F4A_7C15;
  let word = |chunk: &[u8]| u64::from_le_bytes(chunk.try_into().expect("8-byte chunk"));
  let mut lanes = [K, K ^ 1, K ^ 2, K ^ 3];
  let mut blocks = bytes.chunks_exact(32);
  for block in &mut blocks {
    for (lane, chunk) in lanes.iter_mut().zip(block.chunks_exact(8)) {
      *lane = (*lane ^ word(chunk)).wrapping_mul(K).rotate_left(29);
    }
  }
  let mut hash = lanes.iter().fold(bytes.len() as u64, |hash, lane| (hash ^ lane).wrapping_mul(K).rotate_left(31));
  for chunk in blocks.remainder().chunks(8) {
    let mut tail = [0u8; 8];
    tail[..chunk.len()].copy_from_slice(chunk);
    hash = (hash ^ u64::from_le_bytes(tail)).wrapping_mul(K).rotate_left(29);
  }
  hash ^ (hash >> 32)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn sealed_data_opens_as_its_payload() {
    let payload: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sealed = seal(Kind::CodeCache, &payload);
    assert_eq!(sealed.len(), HEADER + payload.len());
    assert_eq!(unseal(Kind::CodeCache, &sealed), Some(&payload[..]));
    assert_eq!(unseal(Kind::CodeCache, &seal(Kind::CodeCache, &[])), Some(&[][..]));
  }

  #[test]
  fn any_damaged_byte_is_refused() {
    let payload: Vec<u8> = (0..77u8).collect();
    let sealed = seal(Kind::Snapshot, &payload);
    for at in 0..sealed.len() {
      let mut damaged = sealed.clone();
      damaged[at] ^= 0x10;
      assert_eq!(unseal(Kind::Snapshot, &damaged), None, "byte {at} changed");
    }
  }

  #[test]
  fn truncated_or_other_kinds_are_refused() {
    let sealed = seal(Kind::CodeCache, b"some cache bytes");
    assert_eq!(unseal(Kind::Snapshot, &sealed), None);
    assert_eq!(unseal(Kind::CodeCache, &sealed[..sealed.len() - 1]), None);
    assert_eq!(unseal(Kind::CodeCache, &sealed[..HEADER - 1]), None);
    let mut longer = sealed.clone();
    longer.push(0);
    assert_eq!(unseal(Kind::CodeCache, &longer), None);
  }

  #[test]
  fn given_caches_are_sorted_before_v8_sees_them() {
    assert!(matches!(GivenCache::from_sealed(None), GivenCache::None));
    assert!(matches!(GivenCache::from_sealed(Some(b"not ours".to_vec())), GivenCache::Invalid));
    let valid = GivenCache::from_sealed(Some(seal(Kind::CodeCache, b"v8 data")));
    assert_eq!(valid.payload(), Some(&b"v8 data"[..]));
    assert!(matches!(GivenCache::from_sealed(Some(seal(Kind::Snapshot, b"v8 data"))), GivenCache::Invalid));
  }
}
