//! FNV-1a (64-bit): a checksum that catches accidental corruption of a saved model (it is not
//! a cryptographic hash and does not authenticate a file).

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// An FNV-1a hasher.
pub(crate) struct Fnv64(u64);

impl Fnv64 {
    pub(crate) fn new() -> Self {
        Fnv64(OFFSET)
    }

    /// Hashes `bytes`.
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
        self.0 = h;
    }

    /// Hashes a named field with length prefixes, so that moving bytes between fields changes
    /// the result.
    pub(crate) fn field(&mut self, name: &[u8], value: &[u8]) {
        self.write(&(name.len() as u64).to_le_bytes());
        self.write(name);
        self.write(&(value.len() as u64).to_le_bytes());
        self.write(value);
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published FNV-1a 64 test vectors (Fowler/Noll/Vo reference): "" and "a".
    #[test]
    fn reference_vectors() {
        let h = Fnv64::new();
        assert_eq!(h.finish(), 0xcbf2_9ce4_8422_2325);
        let mut h = Fnv64::new();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
        let mut h = Fnv64::new();
        h.write(b"foobar");
        assert_eq!(h.finish(), 0x8594_4171_f739_67e8);
    }
}
