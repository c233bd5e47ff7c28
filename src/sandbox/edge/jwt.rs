//! Real (HS256) JWTs with real expiry, so the client's renewal logic meets the real thing.
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs_f64()
}

pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    pub fn random() -> Self {
        Signer { key: uuid::Uuid::new_v4().as_bytes().to_vec() }
    }

    fn mac(&self, data: &str) -> Vec<u8> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        m.update(data.as_bytes());
        m.finalize().into_bytes().to_vec()
    }

    /// `kind` is `access` or `refresh`; `exp` may be fractional (short test lifetimes).
    pub fn issue(&self, kind: &str, user: &str, lifetime_secs: f64) -> String {
        let header = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let iat = now();
        let claims = serde_json::json!({
            "token_type": kind, "user": user, "iat": iat, "exp": iat + lifetime_secs,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let payload = B64.encode(claims.to_string());
        let signing = format!("{header}.{payload}");
        let sig = B64.encode(self.mac(&signing));
        format!("{signing}.{sig}")
    }

    /// The claims of a well-signed, unexpired token of `kind` issued after `not_before`.
    pub fn verify(&self, token: &str, kind: &str, not_before: f64) -> Option<serde_json::Value> {
        let (signing, sig) = token.rsplit_once('.')?;
        let expected = self.mac(signing);
        let given = B64.decode(sig).ok()?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_slice(), given.as_slice())) {
            return None;
        }
        let payload = signing.split('.').nth(1)?;
        let claims: serde_json::Value = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
        let ok = claims.get("token_type")?.as_str()? == kind
            && claims.get("exp")?.as_f64()? > now()
            && claims.get("iat")?.as_f64()? >= not_before;
        ok.then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_by_kind_expiry_and_revocation() {
        let s = Signer::random();
        let t = s.issue("access", "u", 60.0);
        assert!(s.verify(&t, "access", 0.0).is_some());
        assert!(s.verify(&t, "refresh", 0.0).is_none());
        assert!(s.verify(&t, "access", now() + 1.0).is_none(), "revoked");
        assert!(s.verify(&s.issue("access", "u", -1.0), "access", 0.0).is_none(), "expired");
        assert!(Signer::random().verify(&t, "access", 0.0).is_none(), "other key");
    }
}
