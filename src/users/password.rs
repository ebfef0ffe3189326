//! Password hashing (Argon2id, the `argon2` crate's defaults: 19 MiB, 2 passes) and one-time
//! passwords.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;

use crate::error::{AppError, AppResult};

/// The fewest characters a password chosen by a person may have.
pub const MIN_LENGTH: usize = 12;

/// A PHC string of the password's Argon2id hash with a fresh salt.
pub fn hash(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing: {e}")))
}

/// Whether `password` matches the stored hash (a malformed hash matches nothing).
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A one-time password: 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I), to
/// be read off a screen or a sheet of paper (about 90 bits).
pub fn one_time() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let a = hash("mật khẩu đủ dài").unwrap();
        let b = hash("mật khẩu đủ dài").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify("mật khẩu đủ dài", &a));
        assert!(!verify("mật khẩu đủ dàj", &a));
        assert!(!verify("mật khẩu đủ dài", "not a hash"));
    }

    #[test]
    fn one_time_passwords_differ_and_avoid_look_alikes() {
        let p = one_time();
        assert_eq!(p.len(), 16);
        assert_ne!(p, one_time());
        assert!(!p.contains(['0', 'O', '1', 'l', 'I']));
    }
}
