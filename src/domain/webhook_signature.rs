//! Standard Webhooks signing (DESIGN §3.1): the signed content is `{id}.{timestamp}.{body}`,
//! the key is the base64-decoded part of a `whsec_…` secret, and the header value is
//! `v1,<base64 HMAC-SHA256>`. Pure; verification lives beside it.
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("webhook secret must start with whsec_")]
    MissingPrefix,
    #[error("webhook secret is not valid base64 after whsec_")]
    NotBase64,
    #[error("webhook secret key is empty")]
    Empty,
}

/// Decodes a `whsec_<base64>` secret into the HMAC key bytes.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, SecretError> {
    let b64 = secret.trim().strip_prefix("whsec_").ok_or(SecretError::MissingPrefix)?;
    let key = STANDARD.decode(b64).map_err(|_| SecretError::NotBase64)?;
    if key.is_empty() {
        return Err(SecretError::Empty);
    }
    Ok(key)
}

/// The raw signature bytes for one message.
pub fn signature_bytes(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The `webhook-signature` header value (`v1,<base64>`) for one message.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SecretError> {
    let key = decode_secret(secret)?;
    Ok(format!("v1,{}", STANDARD.encode(signature_bytes(&key, id, timestamp, body))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the Standard Webhooks reference libraries' test suites.
    #[test]
    fn matches_the_standard_webhooks_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn bad_secrets_are_named() {
        assert_eq!(sign("MfKQ9r8", "a", 1, b"{}"), Err(SecretError::MissingPrefix));
        assert_eq!(sign("whsec_!!!", "a", 1, b"{}"), Err(SecretError::NotBase64));
        assert_eq!(sign("whsec_", "a", 1, b"{}"), Err(SecretError::Empty));
    }
}
