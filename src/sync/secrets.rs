//! Channel credentials at rest: AES-256-GCM with the key of `OCOP_SECRET_KEY` (32 bytes, hex or
//! base64), a fresh random nonce per value. Without a key the registry still works but stores
//! them as plain text and says so at start-up; either way the API never returns them.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore;

use crate::error::{AppError, AppResult};

const ENCRYPTED: &str = "enc:v1:";
const PLAIN: &str = "plain:";

/// Encrypts and decrypts stored credentials.
#[derive(Clone)]
pub struct Secrets {
    cipher: Option<Aes256Gcm>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("encrypting", &self.cipher.is_some())
            .finish()
    }
}

impl Secrets {
    /// From the configured key (`None`: store plain text).
    pub fn new(key: Option<&str>) -> Result<Self, String> {
        let Some(key) = key.map(str::trim).filter(|k| !k.is_empty()) else {
            return Ok(Secrets { cipher: None });
        };
        let bytes = hex::decode(key)
            .ok()
            .or_else(|| B64.decode(key).ok())
            .filter(|b| b.len() == 32)
            .ok_or("OCOP_SECRET_KEY must be 32 bytes written as 64 hex digits or base64")?;
        Ok(Secrets {
            cipher: Some(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes))),
        })
    }

    /// Whether values are encrypted.
    pub fn encrypting(&self) -> bool {
        self.cipher.is_some()
    }

    /// The stored form of a secret.
    pub fn seal(&self, plain: &str) -> AppResult<String> {
        let Some(cipher) = &self.cipher else {
            return Ok(format!("{PLAIN}{plain}"));
        };
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| AppError::Internal("encrypting a credential failed".to_owned()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{ENCRYPTED}{}", B64.encode(out)))
    }

    /// The secret from its stored form.
    pub fn open(&self, stored: &str) -> AppResult<String> {
        if let Some(plain) = stored.strip_prefix(PLAIN) {
            return Ok(plain.to_owned());
        }
        let Some(data) = stored.strip_prefix(ENCRYPTED) else {
            return Err(AppError::Internal("unknown credential format".to_owned()));
        };
        let cipher = self.cipher.as_ref().ok_or_else(|| {
            AppError::Unavailable(
                "a channel credential is encrypted but OCOP_SECRET_KEY is not set".into(),
            )
        })?;
        let bytes = B64
            .decode(data)
            .map_err(|_| AppError::Internal("corrupt credential".to_owned()))?;
        if bytes.len() < 12 {
            return Err(AppError::Internal("corrupt credential".to_owned()));
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| {
                AppError::Unavailable(
                    "a channel credential cannot be decrypted with the configured OCOP_SECRET_KEY"
                        .into(),
                )
            })?;
        String::from_utf8(plain).map_err(|_| AppError::Internal("corrupt credential".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_hides_the_value() {
        let s = Secrets::new(Some(&"ab".repeat(32))).unwrap();
        let sealed = s.seal("partner-key-123").unwrap();
        assert!(sealed.starts_with("enc:v1:") && !sealed.contains("partner-key-123"));
        assert_ne!(
            sealed,
            s.seal("partner-key-123").unwrap(),
            "fresh nonce each time"
        );
        assert_eq!(s.open(&sealed).unwrap(), "partner-key-123");
        let other = Secrets::new(Some(&"cd".repeat(32))).unwrap();
        assert!(other.open(&sealed).is_err());
        let plain = Secrets::new(None).unwrap();
        assert_eq!(plain.open(&plain.seal("x").unwrap()).unwrap(), "x");
        assert!(Secrets::new(Some("short")).is_err());
    }
}
