//! Authentication: an integration access token sent as `Bearer`, or OAuth 1.0a request
//! signing with the integration's four credentials (HMAC-SHA256 per current Adobe docs;
//! HMAC-SHA1 for older stores). The signing functions are pure, so they are tested
//! against published vectors.
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMethod {
    HmacSha256,
    HmacSha1,
}

impl SignatureMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha256 => "HMAC-SHA256",
            SignatureMethod::HmacSha1 => "HMAC-SHA1",
        }
    }
}

/// The four credentials Magento shows for an activated integration. `Debug` shows the
/// consumer key only.
#[derive(Clone)]
pub struct OAuth1Credentials {
    pub consumer_key: String,
    pub consumer_secret: SecretString,
    pub access_token: String,
    pub access_token_secret: SecretString,
    pub method: SignatureMethod,
}

impl std::fmt::Debug for OAuth1Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth1Credentials")
            .field("consumer_key", &self.consumer_key)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub enum MagentoAuth {
    /// Integration access token used as a standalone Bearer token (needs
    /// `oauth/consumer/enable_integration_as_bearer` on 2.4.4+), or an admin token.
    Bearer(SecretString),
    OAuth1(OAuth1Credentials),
}

/// RFC 3986 percent-encoding: everything but `A-Z a-z 0-9 - . _ ~`.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// `scheme://host[:port]/path`, lower-case scheme and host, default ports left out, no query.
pub fn base_string_uri(url: &Url) -> String {
    let scheme = url.scheme().to_ascii_lowercase();
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let port = match (url.port(), scheme.as_str()) {
        (Some(80), "http") | (Some(443), "https") | (None, _) => String::new(),
        (Some(p), _) => format!(":{p}"),
    };
    format!("{scheme}://{host}{port}{}", url.path())
}

/// The signature base string (RFC 5849 §3.4.1): method, base URI and the normalised
/// parameters (each name and value encoded, sorted by name then value, joined with `&`).
pub fn signature_base_string(http_method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params.iter().map(|(k, v)| (percent_encode(k), percent_encode(v))).collect();
    encoded.sort();
    let normalised = encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    format!("{}&{}&{}", http_method.to_ascii_uppercase(), percent_encode(base_uri), percent_encode(&normalised))
}

/// Base64 signature of a base string; the key is `consumerSecret&tokenSecret` (each encoded).
pub fn sign_base_string(method: SignatureMethod, base: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!("{}&{}", percent_encode(consumer_secret), percent_encode(token_secret));
    let digest = match method {
        SignatureMethod::HmacSha256 => {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
            mac.update(base.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        SignatureMethod::HmacSha1 => {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).expect("any key length");
            mac.update(base.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
    };
    STANDARD.encode(digest)
}

/// The protocol parameters of one request, before signing.
pub fn oauth_params(c: &OAuth1Credentials, nonce: &str, timestamp: i64) -> Vec<(String, String)> {
    vec![
        ("oauth_consumer_key".into(), c.consumer_key.clone()),
        ("oauth_nonce".into(), nonce.into()),
        ("oauth_signature_method".into(), c.method.as_str().into()),
        ("oauth_timestamp".into(), timestamp.to_string()),
        ("oauth_token".into(), c.access_token.clone()),
        ("oauth_version".into(), "1.0".into()),
    ]
}

/// The `Authorization: OAuth …` header for a request to `url` (its query parameters are
/// signed; JSON bodies are not part of an OAuth 1.0a signature).
pub fn authorization_header(c: &OAuth1Credentials, http_method: &str, url: &Url, nonce: &str, timestamp: i64) -> String {
    let oauth = oauth_params(c, nonce, timestamp);
    let mut all = oauth.clone();
    all.extend(url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())));
    let base = signature_base_string(http_method, &base_string_uri(url), &all);
    let signature = sign_base_string(
        c.method,
        &base,
        c.consumer_secret.expose_secret(),
        c.access_token_secret.expose_secret(),
    );
    let mut fields: Vec<String> = oauth.iter().map(|(k, v)| format!("{k}=\"{}\"", percent_encode(v))).collect();
    fields.push(format!("oauth_signature=\"{}\"", percent_encode(&signature)));
    format!("OAuth {}", fields.join(","))
}

/// Parses an `Authorization: OAuth …` header into decoded (name, value) pairs (the
/// simulator verifies signatures with it).
pub fn parse_authorization_header(value: &str) -> Option<Vec<(String, String)>> {
    let rest = value.trim().strip_prefix("OAuth ")?;
    rest.split(',')
        .map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            let v = v.trim().strip_prefix('"')?.strip_suffix('"')?;
            let decoded = percent_encoding::percent_decode_str(v).decode_utf8().ok()?;
            Some((k.trim().to_owned(), decoded.into_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: &str) -> (String, String) {
        (k.into(), v.into())
    }

    /// The worked example of Twitter's "Creating a signature" guide (OAuth 1.0a, HMAC-SHA1).
    fn twitter_params(method: &str) -> Vec<(String, String)> {
        vec![
            p("status", "Hello Ladies + Gentlemen, a signed OAuth request!"),
            p("include_entities", "true"),
            p("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
            p("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
            p("oauth_signature_method", method),
            p("oauth_timestamp", "1318622958"),
            p("oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
            p("oauth_version", "1.0"),
        ]
    }
    const CONSUMER_SECRET: &str = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
    const TOKEN_SECRET: &str = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
    const URI: &str = "https://api.twitter.com/1.1/statuses/update.json";

    #[test]
    fn twitter_example_base_string_and_hmac_sha1_signature() {
        let base = signature_base_string("post", URI, &twitter_params("HMAC-SHA1"));
        assert_eq!(
            base,
            "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26\
             oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26\
             oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-\
             GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520\
             Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
        );
        assert_eq!(sign_base_string(SignatureMethod::HmacSha1, &base, CONSUMER_SECRET, TOKEN_SECRET), "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
    }

    /// Same inputs with HMAC-SHA256 (the expected value was computed independently with
    /// Python's `hmac`/`hashlib` over the base string above).
    #[test]
    fn twitter_example_with_hmac_sha256() {
        let base = signature_base_string("POST", URI, &twitter_params("HMAC-SHA256"));
        assert_eq!(
            sign_base_string(SignatureMethod::HmacSha256, &base, CONSUMER_SECRET, TOKEN_SECRET),
            "PLbq+OWUE2vwiOZeZBSR06GFvymUHoaBdCIHyD66IcM="
        );
    }

    /// RFC 5849 §1.2: the signed photo request (HMAC-SHA1), query parameters from the URL.
    #[test]
    fn rfc5849_example_signature() {
        let url = Url::parse("http://photos.example.net/photos?file=vacation.jpg&size=original").unwrap();
        let mut params: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        params.extend([
            p("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            p("oauth_token", "nnch734d00sl2jdk"),
            p("oauth_signature_method", "HMAC-SHA1"),
            p("oauth_timestamp", "137131202"),
            p("oauth_nonce", "chapoH"),
        ]);
        let base = signature_base_string("GET", &base_string_uri(&url), &params);
        assert_eq!(
            sign_base_string(SignatureMethod::HmacSha1, &base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"),
            "MdpQcU8iPSUjWoN/UDMsK2sui9I="
        );
    }

    #[test]
    fn base_uri_drops_default_port_and_query() {
        let u = Url::parse("HTTPS://Shop.Example.com:443/rest/default/V1/orders?searchCriteria%5BpageSize%5D=5").unwrap();
        assert_eq!(base_string_uri(&u), "https://shop.example.com/rest/default/V1/orders");
        let u = Url::parse("http://127.0.0.1:8080/rest/default/V1/products").unwrap();
        assert_eq!(base_string_uri(&u), "http://127.0.0.1:8080/rest/default/V1/products");
    }

    #[test]
    fn header_signs_query_parameters_and_round_trips() {
        let c = OAuth1Credentials {
            consumer_key: "ck".into(),
            consumer_secret: SecretString::from("cs"),
            access_token: "at".into(),
            access_token_secret: SecretString::from("ats"),
            method: SignatureMethod::HmacSha256,
        };
        let url = Url::parse("http://shop.test/rest/default/V1/orders?searchCriteria[pageSize]=5").unwrap();
        let shown = format!("{:?}", MagentoAuth::OAuth1(c.clone()));
        assert!(shown.contains("ck") && !shown.contains("ats") && !shown.contains("\"at\""), "{shown}");
        let header = authorization_header(&c, "GET", &url, "n0nce", 1700000000);
        let fields = parse_authorization_header(&header).unwrap();
        let sig = fields.iter().find(|(k, _)| k == "oauth_signature").unwrap().1.clone();
        let mut params: Vec<_> = fields.into_iter().filter(|(k, _)| k != "oauth_signature").collect();
        params.push(p("searchCriteria[pageSize]", "5"));
        let base = signature_base_string("GET", "http://shop.test/rest/default/V1/orders", &params);
        assert_eq!(sig, sign_base_string(SignatureMethod::HmacSha256, &base, "cs", "ats"));
        let other = Url::parse("http://shop.test/rest/default/V1/orders?searchCriteria[pageSize]=6").unwrap();
        assert_ne!(header, authorization_header(&c, "GET", &other, "n0nce", 1700000000), "query is signed");
    }
}
