//! Opaque page tokens: the position after the last item returned, bound to the filters
//! they were issued for (a token reused with other filters is refused).
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Token {
    /// The filters, as given.
    f: String,
    /// Items with ids below this come next.
    before: i64,
}

pub fn encode(filters: &str, before_id: i64) -> String {
    let json = serde_json::to_vec(&Token { f: filters.to_owned(), before: before_id }).expect("plain struct");
    URL_SAFE_NO_PAD.encode(json)
}

/// The id to continue below, or a message saying what is wrong with the token.
pub fn decode(token: &str, filters: &str) -> Result<Option<i64>, String> {
    if token.is_empty() {
        return Ok(None);
    }
    let t: Token = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| "page_token is not one this service issued; omit it to start from the first page".to_owned())?;
    if t.f != filters {
        return Err("page_token was issued for different filters; repeat the same filters or omit the token".to_owned());
    }
    Ok(Some(t.before))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_bound_to_filters() {
        let t = encode("kind=carrier_unmapped", 42);
        assert_eq!(decode(&t, "kind=carrier_unmapped"), Ok(Some(42)));
        assert!(decode(&t, "kind=sku_mismatch").is_err());
        assert!(decode("garbage!", "").is_err());
        assert_eq!(decode("", "x"), Ok(None));
    }
}
