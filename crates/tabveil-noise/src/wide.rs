//! The little 256-bit arithmetic the exact discrete Gaussian needs: the square of a 127-bit
//! integer, and its quotient and remainder by a 128-bit one. Written out (schoolbook on 64-bit
//! limbs, binary long division) rather than pulling in a big-integer crate for two
//! operations; tested against `u128` arithmetic where that suffices and against identities
//! where it does not.

/// An unsigned 256-bit integer as `(high, low)` 128-bit halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct U256 {
    pub(crate) high: u128,
    pub(crate) low: u128,
}

impl U256 {
    /// `a · b`, exactly.
    pub(crate) fn mul(a: u128, b: u128) -> Self {
        let mask = u128::from(u64::MAX);
        let (a1, a0) = (a >> 64, a & mask);
        let (b1, b0) = (b >> 64, b & mask);
        let p00 = a0 * b0;
        let p01 = a0 * b1;
        let p10 = a1 * b0;
        let p11 = a1 * b1;
        // Middle column: the high half of p00 plus the low halves of the cross products.
        let middle = (p00 >> 64) + (p01 & mask) + (p10 & mask);
        let low = (p00 & mask) | (middle << 64);
        let high = p11 + (p01 >> 64) + (p10 >> 64) + (middle >> 64);
        U256 { high, low }
    }

    /// `(⌊self / d⌋, self mod d)` for `d > 0`; the quotient may need all 256 bits.
    pub(crate) fn div_rem(self, d: u128) -> (U256, u128) {
        debug_assert!(d > 0);
        if self.high == 0 {
            return (
                U256 {
                    high: 0,
                    low: self.low / d,
                },
                self.low % d,
            );
        }
        // Binary long division, most significant bit first. The remainder stays below d, so
        // doubling it needs one extra bit, carried in `overflow`.
        let mut quotient = U256 { high: 0, low: 0 };
        let mut rem: u128 = 0;
        for i in (0..256).rev() {
            let bit = if i >= 128 {
                (self.high >> (i - 128)) & 1
            } else {
                (self.low >> i) & 1
            };
            let overflow = rem >> 127;
            rem = (rem << 1) | bit;
            if overflow == 1 || rem >= d {
                rem = rem.wrapping_sub(d);
                if i >= 128 {
                    quotient.high |= 1 << (i - 128);
                } else {
                    quotient.low |= 1 << i;
                }
            }
        }
        (quotient, rem)
    }

    /// True when the value is 0.
    pub(crate) fn is_zero(&self) -> bool {
        self.high == 0 && self.low == 0
    }

    /// `self − 1` for a non-zero value.
    pub(crate) fn decrement(self) -> Self {
        if self.low == 0 {
            U256 {
                high: self.high - 1,
                low: u128::MAX,
            }
        } else {
            U256 {
                high: self.high,
                low: self.low - 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplication_matches_u128_where_it_fits_and_identities_beyond() {
        for (a, b) in [
            (0, 5),
            (1, 1),
            (u128::from(u64::MAX), u128::from(u64::MAX)),
            (12345, 67890),
        ] {
            let p = U256::mul(a, b);
            assert_eq!(p.high, 0);
            assert_eq!(p.low, a * b);
        }
        // (2^127)² = 2^254.
        let p = U256::mul(1 << 127, 1 << 127);
        assert_eq!((p.high, p.low), (1 << 126, 0));
        // (2^128 − 1)² = 2^256 − 2^129 + 1.
        let p = U256::mul(u128::MAX, u128::MAX);
        assert_eq!((p.high, p.low), (u128::MAX - 1, 1));
    }

    #[test]
    fn division_inverts_multiplication() {
        let cases = [
            (u128::MAX / 3, 7_u128, 5_u128),
            ((1 << 126) + 12345, (1 << 100) + 99, 17),
            (987_654_321_987_654_321, 3, 2),
            (u128::MAX, u128::MAX, u128::MAX - 1),
        ];
        for (a, d, r) in cases {
            // n = a·d + r, then n / d = a, n mod d = r.
            let mut n = U256::mul(a, d);
            let (low, carry) = n.low.overflowing_add(r);
            n.low = low;
            n.high += u128::from(carry);
            let (q, rem) = n.div_rem(d);
            assert_eq!((q.high, q.low), (0, a), "a={a} d={d}");
            assert_eq!(rem, r);
        }
        // A quotient wider than 128 bits: (2^200 + 5) / 3, with 2^200 ≡ 1 (mod 3).
        let n = U256 {
            high: 1 << 72,
            low: 5,
        };
        let (q, rem) = n.div_rem(3);
        assert_eq!(rem, 0);
        assert!(!q.is_zero() && q.high > 0);
        // q·3 = n: the low half's product plus three times the high half.
        let low = U256::mul(q.low, 3);
        assert_eq!(low.low, n.low);
        assert_eq!(q.high * 3 + low.high, n.high);
        assert_eq!(
            U256 { high: 1, low: 0 }.decrement(),
            U256 {
                high: 0,
                low: u128::MAX
            }
        );
    }
}
