//! Registration numbers (docs/domain.md §6): a 10-digit tax code with its check digit (13 with a
//! branch), or a household business's 12-digit personal id.

use super::digits_of;

/// The kinds of registration number a subject may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaxId {
    /// 10-digit enterprise/cooperative tax code, or 10+3 for a branch: normalised
    /// `0314409058` or `0314409058-002`.
    TaxCode(String),
    /// 12-digit personal identification number (household businesses from 1 July 2025).
    PersonalId(String),
}

impl TaxId {
    /// The normalised text stored.
    pub fn as_str(&self) -> &str {
        match self {
            TaxId::TaxCode(s) | TaxId::PersonalId(s) => s,
        }
    }
}

fn tax_check_digit_ok(d: &[u8]) -> bool {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let sum: u32 = WEIGHTS
        .iter()
        .zip(d)
        .map(|(w, x)| w * u32::from(x - b'0'))
        .sum();
    let check = 10 - (sum % 11);
    // A result of 10 (sum divisible by 11) is never issued.
    check < 10 && u32::from(d[9] - b'0') == check
}

/// Parses a tax code or personal id as users type it (spaces, dots and dashes allowed).
pub fn parse_tax_id(s: &str) -> Result<TaxId, &'static str> {
    const SHAPE: &str = "must be a 10-digit tax code, 10 digits-3 digits for a branch, \
                         or a 12-digit personal identification number";
    let digits = digits_of(s).ok_or(SHAPE)?;
    let b = digits.as_bytes();
    match b.len() {
        10 | 13 => {
            if b[2..9].iter().all(|c| *c == b'0') {
                return Err("digits 3 to 9 of a tax code cannot all be zero");
            }
            if !tax_check_digit_ok(b) {
                return Err("the check digit (10th digit) does not match: not a valid tax code");
            }
            if b.len() == 13 {
                if &digits[10..] == "000" {
                    return Err("a branch number cannot be 000");
                }
                Ok(TaxId::TaxCode(format!(
                    "{}-{}",
                    &digits[..10],
                    &digits[10..]
                )))
            } else {
                Ok(TaxId::TaxCode(digits))
            }
        }
        12 => Ok(TaxId::PersonalId(digits)),
        _ => Err(SHAPE),
    }
}

parsed_from_text!(TaxId, parse_tax_id);

impl serde::Serialize for TaxId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
