//! Standard Webhooks signatures (DESIGN §3.1): HMAC-SHA256 over `{id}.{timestamp}.{body}`,
//! keyed by the decoded bytes of a `whsec_<base64>` secret, sent as a space-separated list of
//! `v1,<base64>` entries. Pure: the caller passes the clock.
//!
//! Verification checks the headers' shape, the timestamp (±tolerance, both directions), then
//! compares every `v1` entry with every configured key in constant time; one match passes.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// The specification's default tolerance, in seconds.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;
/// Longest `webhook-id` accepted (it is the inbox's primary key).
pub const MAX_ID_LEN: usize = 128;
/// Most entries looked at in a `webhook-signature` list (rotation needs two or three).
const MAX_SIGNATURE_ENTRIES: usize = 16;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], id: &str, ts: i64, body: &[u8]) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(id.as_bytes());
    m.update(b".");
    m.update(ts.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The `v1,<base64>` signature of one message with one key (the decoded secret bytes).
pub fn sign(secret_key: &[u8], id: &str, ts: i64, body: &[u8]) -> String {
    format!(
        "v1,{}",
        B64.encode(mac(secret_key, id, ts, body).finalize().into_bytes())
    )
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("webhook secret must start with whsec_")]
    MissingPrefix,
    #[error("webhook secret is not valid base64 after whsec_")]
    NotBase64,
    #[error("webhook secret key is empty")]
    Empty,
}

/// The HMAC key of a `whsec_<base64>` secret (config validation also insists on ≥ 24 bytes).
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, SecretError> {
    let b64 = secret
        .trim()
        .strip_prefix("whsec_")
        .ok_or(SecretError::MissingPrefix)?;
    let key = B64.decode(b64).map_err(|_| SecretError::NotBase64)?;
    if key.is_empty() {
        return Err(SecretError::Empty);
    }
    Ok(key)
}

/// `sign` from a `whsec_…` secret, for senders that hold the secret text (the sandbox).
pub fn sign_with_secret(
    secret: &str,
    id: &str,
    ts: i64,
    body: &[u8],
) -> Result<String, SecretError> {
    Ok(sign(&decode_secret(secret)?, id, ts, body))
}

/// Why a request is not authentic. `reason()` is a stable label for metrics and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the {0} header is malformed")]
    MalformedHeader(&'static str),
    #[error("webhook-timestamp is {0} s older than the tolerance allows")]
    Stale(i64),
    #[error("webhook-timestamp is {0} s in the future, beyond the tolerance")]
    Future(i64),
    #[error("no webhook-signature entry matches")]
    NoMatch,
}

impl SignatureError {
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::MissingHeader(_) => "missing_header",
            SignatureError::MalformedHeader(_) => "malformed_header",
            SignatureError::Stale(_) => "stale_timestamp",
            SignatureError::Future(_) => "future_timestamp",
            SignatureError::NoMatch => "bad_signature",
        }
    }
}

/// An id is 1–128 characters of `A-Z a-z 0-9 _ - :` (no `.`, which would make the signed
/// content ambiguous, no spaces or control characters).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'))
}

/// A timestamp is Unix seconds written as 1–12 ASCII digits (no sign, no fraction).
pub fn parse_timestamp(ts: &str) -> Option<i64> {
    if ts.is_empty() || ts.len() > 12 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ts.parse().ok()
}

/// The three headers as received (`None` = absent; `Err` = present but not visible ASCII).
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    pub id: Option<Result<&'a str, ()>>,
    pub timestamp: Option<Result<&'a str, ()>>,
    pub signature: Option<Result<&'a str, ()>>,
}

/// What a verified request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub id: String,
    pub timestamp: i64,
}

fn header<'a>(
    v: Option<Result<&'a str, ()>>,
    name: &'static str,
) -> Result<&'a str, SignatureError> {
    match v {
        None => Err(SignatureError::MissingHeader(name)),
        Some(Err(())) => Err(SignatureError::MalformedHeader(name)),
        Some(Ok(s)) if s.trim().is_empty() => Err(SignatureError::MissingHeader(name)),
        Some(Ok(s)) => Ok(s),
    }
}

/// Checks requests against the configured keys (several during rotation).
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<Vec<u8>>,
    tolerance_secs: i64,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Verifier({} keys, ±{} s)",
            self.keys.len(),
            self.tolerance_secs
        )
    }
}

impl Verifier {
    /// From decoded keys; `None` when there is none (the receiver is then off).
    pub fn new(keys: Vec<Vec<u8>>, tolerance_secs: i64) -> Option<Verifier> {
        (!keys.is_empty()).then_some(Verifier {
            keys,
            tolerance_secs: tolerance_secs.max(0),
        })
    }

    /// From `whsec_…` secrets, as configured.
    pub fn from_secrets<'a>(
        secrets: impl IntoIterator<Item = &'a str>,
        tolerance_secs: i64,
    ) -> Result<Option<Verifier>, String> {
        let keys = secrets
            .into_iter()
            .enumerate()
            .map(|(i, s)| decode_secret(s).map_err(|p| format!("entry {}: {p}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Verifier::new(keys, tolerance_secs))
    }

    pub fn verify(
        &self,
        h: SignedHeaders<'_>,
        body: &[u8],
        now_secs: i64,
    ) -> Result<Verified, SignatureError> {
        let id = header(h.id, HEADER_ID)?;
        let ts_text = header(h.timestamp, HEADER_TIMESTAMP)?;
        let list = header(h.signature, HEADER_SIGNATURE)?;
        if !valid_id(id) {
            return Err(SignatureError::MalformedHeader(HEADER_ID));
        }
        let ts =
            parse_timestamp(ts_text).ok_or(SignatureError::MalformedHeader(HEADER_TIMESTAMP))?;
        if ts < now_secs - self.tolerance_secs {
            return Err(SignatureError::Stale(now_secs - self.tolerance_secs - ts));
        }
        if ts > now_secs + self.tolerance_secs {
            return Err(SignatureError::Future(ts - now_secs - self.tolerance_secs));
        }
        let offered: Vec<Vec<u8>> = list
            .split(' ')
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .filter_map(|(_, sig)| B64.decode(sig).ok())
            .take(MAX_SIGNATURE_ENTRIES)
            .collect();
        let mut matched = subtle::Choice::from(0u8);
        for key in &self.keys {
            let expected = mac(key, id, ts, body).finalize().into_bytes();
            for sig in &offered {
                matched |= expected.as_slice().ct_eq(sig.as_slice());
            }
        }
        if bool::from(matched) {
            Ok(Verified {
                id: id.to_owned(),
                timestamp: ts,
            })
        } else {
            Err(SignatureError::NoMatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_700_000_000;

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> SignedHeaders<'a> {
        SignedHeaders {
            id: Some(Ok(id)),
            timestamp: Some(Ok(ts)),
            signature: Some(Ok(sig)),
        }
    }

    fn verifier() -> Verifier {
        Verifier::new(
            vec![b"another-key-another-key-another".to_vec(), KEY.to_vec()],
            300,
        )
        .unwrap()
    }

    #[test]
    fn matches_the_specification_example() {
        // Standard Webhooks test vector (spec and every reference library).
        let key = B64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn accepts_any_matching_entry_with_any_key() {
        let body = b"{}";
        let good = sign(KEY, "msg_1", NOW, body);
        let list = format!("v1,AAAA v1a,xyz garbage {good} v1,bm90IGl0");
        let v = verifier()
            .verify(headers("msg_1", &NOW.to_string(), &list), body, NOW)
            .unwrap();
        assert_eq!(
            v,
            Verified {
                id: "msg_1".into(),
                timestamp: NOW
            }
        );
    }

    #[test]
    fn refuses_tampering_and_wrong_keys() {
        let body = b"{\"a\":1}";
        let sig = sign(KEY, "msg_1", NOW, body);
        let ts = NOW.to_string();
        let v = verifier();
        assert_eq!(
            v.verify(headers("msg_1", &ts, &sig), b"{\"a\":2}", NOW),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            v.verify(headers("msg_2", &ts, &sig), body, NOW),
            Err(SignatureError::NoMatch)
        );
        let other = sign(b"some-other-key-of-32-bytes-long!", "msg_1", NOW, body);
        assert_eq!(
            v.verify(headers("msg_1", &ts, &other), body, NOW),
            Err(SignatureError::NoMatch)
        );
        // A version other than v1 with the right bytes does not count.
        let v1a = sig.replacen("v1,", "v2,", 1);
        assert_eq!(
            v.verify(headers("msg_1", &ts, &v1a), body, NOW),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn enforces_tolerance_both_ways() {
        let v = verifier();
        let at = |ts: i64| {
            let s = ts.to_string();
            v.verify(headers("m", &s, &sign(KEY, "m", ts, b"x")), b"x", NOW)
        };
        assert!(at(NOW - 300).is_ok());
        assert!(at(NOW + 300).is_ok());
        assert_eq!(at(NOW - 301), Err(SignatureError::Stale(1)));
        assert_eq!(at(NOW + 302), Err(SignatureError::Future(2)));
    }

    #[test]
    fn refuses_missing_and_odd_headers() {
        let v = verifier();
        let sig = sign(KEY, "m", NOW, b"x");
        let ts = NOW.to_string();
        let mut h = headers("m", &ts, &sig);
        h.signature = None;
        assert_eq!(
            v.verify(h, b"x", NOW),
            Err(SignatureError::MissingHeader(HEADER_SIGNATURE))
        );
        let mut h = headers("m", &ts, &sig);
        h.id = Some(Err(()));
        assert_eq!(
            v.verify(h, b"x", NOW),
            Err(SignatureError::MalformedHeader(HEADER_ID))
        );
        for bad_id in ["a.b", "a b", "ä", "", &"x".repeat(129)] {
            assert!(
                v.verify(headers(bad_id, &ts, &sig), b"x", NOW).is_err(),
                "{bad_id:?}"
            );
        }
        for bad_ts in [
            "-1",
            "+1700000000",
            "1700000000.5",
            "0x10",
            " 1700000000",
            "1e9",
            "9999999999999",
        ] {
            assert_eq!(
                v.verify(headers("m", bad_ts, &sig), b"x", NOW),
                Err(SignatureError::MalformedHeader(HEADER_TIMESTAMP)),
                "{bad_ts:?}"
            );
        }
    }

    #[test]
    fn no_keys_means_no_verifier() {
        assert!(Verifier::new(vec![], 300).is_none());
        assert!(Verifier::from_secrets(["whsec_bad"], 300).is_err());
        assert_eq!(decode_secret("MfKQ9r8"), Err(SecretError::MissingPrefix));
        assert_eq!(decode_secret("whsec_!!!"), Err(SecretError::NotBase64));
        assert_eq!(decode_secret("whsec_"), Err(SecretError::Empty));
        assert_eq!(
            sign_with_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, b"x"),
            Ok(sign(
                &B64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap(),
                "m",
                1,
                b"x"
            ))
        );
        let ok = format!("whsec_{}", B64.encode(KEY));
        assert!(Verifier::from_secrets([ok.as_str()], 300)
            .unwrap()
            .is_some());
    }
}
