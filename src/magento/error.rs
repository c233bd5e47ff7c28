//! The one error type of the Magento boundary, and how Magento's error bodies read.
use crate::domain::retry::{Classify, Transience};
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MagentoError {
    /// Magento answered with an error status; `message` has its placeholders filled.
    #[error("Magento {method} {path} answered {status}: {message}")]
    Api { status: u16, method: String, path: String, message: String, retry_after: Option<Duration> },
    #[error("Magento {method} {path} timed out")]
    Timeout { method: String, path: String },
    #[error("Magento {method} {path} could not be reached: {detail}")]
    Connection { method: String, path: String, detail: String },
    /// A 2xx answer we could not read (wrong shape); a bug or a proxy page, not transient.
    #[error("Magento {method} {path} sent an unreadable answer: {detail}")]
    Decode { method: String, path: String, detail: String },
    /// Refused before sending (bad configuration or input).
    #[error("Magento request not sent: {0}")]
    Invalid(String),
}

impl MagentoError {
    pub fn status(&self) -> Option<u16> {
        match self {
            MagentoError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
    /// Did the request maybe reach Magento and take effect? (A create must then be checked.)
    pub fn outcome_unknown(&self) -> bool {
        match self {
            MagentoError::Timeout { .. } | MagentoError::Connection { .. } => true,
            MagentoError::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

impl Classify for MagentoError {
    fn transience(&self) -> Transience {
        match self {
            MagentoError::Timeout { .. } | MagentoError::Connection { .. } => Transience::Retryable { retry_after: None },
            MagentoError::Api { status, retry_after, .. } if *status == 429 || *status == 408 || *status >= 500 => {
                Transience::Retryable { retry_after: *retry_after }
            }
            _ => Transience::Permanent,
        }
    }
}

/// Whether a parameter value may be personal data (an email, a phone number, a name or an
/// address): it would then reach logs and exceptions, so it is shown as `[redacted]`.
/// Field names, SKUs, ids and short phrases ("attribute set 4") pass.
pub fn looks_personal(s: &str) -> bool {
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    let capitalised = s.split_whitespace().filter(|w| w.chars().next().is_some_and(char::is_uppercase)).count();
    s.contains('@') || s.contains('\'') || digits >= 10 && s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) || capitalised >= 2
}

/// Fills `%1`, `%2`… from a positional `parameters` array and `%name` from a named
/// `parameters` object, as Magento's REST renderer leaves it to the client to do; values
/// that may be personal data are shown as `[redacted]` (DESIGN §4: never in logs).
pub fn fill_placeholders(message: &str, parameters: Option<&Value>) -> String {
    let text = |v: &Value| match v {
        Value::String(s) if looks_personal(s) => "[redacted]".to_owned(),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut out = message.to_owned();
    match parameters {
        Some(Value::Array(items)) => {
            // Highest index first so %1 does not eat the start of %10.
            for (i, v) in items.iter().enumerate().rev() {
                out = out.replace(&format!("%{}", i + 1), &text(v));
            }
        }
        Some(Value::Object(map)) => {
            let mut keys: Vec<_> = map.keys().collect();
            keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
            for k in keys {
                out = out.replace(&format!("%{k}"), &text(&map[k]));
            }
        }
        _ => {}
    }
    out
}

/// Reads an error body: Magento JSON (`message`, `parameters`, `errors`), the fatal-error
/// shape (`messages.error[]`), or anything else (a proxy page) shortened to one line.
pub fn read_error_body(status: u16, body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(200).collect();
        return if line.is_empty() { format!("HTTP {status} with an empty body") } else { format!("non-JSON body: {line}") };
    };
    let one = |e: &Value| -> Option<String> {
        let m = e.get("message")?.as_str()?;
        Some(fill_placeholders(m, e.get("parameters")))
    };
    let mut parts: Vec<String> = one(&v).into_iter().collect();
    if let Some(errors) = v.get("errors").and_then(Value::as_array) {
        parts.extend(errors.iter().filter_map(one));
    }
    if let Some(errors) = v.pointer("/messages/error").and_then(Value::as_array) {
        parts.extend(errors.iter().filter_map(one));
    }
    if parts.is_empty() {
        return format!("HTTP {status}: {}", v.to_string().chars().take(200).collect::<String>());
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_positional_and_named_placeholders() {
        assert_eq!(
            fill_placeholders("Invalid product data: %1 (%2)", Some(&json!(["bad set", 7]))),
            "Invalid product data: bad set (7)"
        );
        let p = json!({"resources": "Magento_Sales::actions_view"});
        assert_eq!(
            fill_placeholders("The consumer isn't authorized to access %resources.", Some(&p)),
            "The consumer isn't authorized to access Magento_Sales::actions_view."
        );
        let ten: Vec<String> = (1..=10).map(|i| format!("v{i}")).collect();
        assert_eq!(fill_placeholders("%1 %10", Some(&json!(ten))), "v1 v10");
        assert_eq!(fill_placeholders("no params %1", None), "no params %1");
    }

    #[test]
    fn personal_data_in_parameters_is_redacted() {
        for p in ["Niamh O'Kelleher", "Jane Doe", "jane@example.com", "07700 900461", "+44 7700 900461", "17 Larkspur Mews"] {
            assert_eq!(fill_placeholders("Customer %1 is invalid", Some(&json!([p]))), "Customer [redacted] is invalid", "{p}");
        }
        for p in ["bad set", "sku", "SHIRT-M", "58000128", "attribute set %2"] {
            assert_eq!(fill_placeholders("x %1", Some(&json!([p]))), format!("x {p}"));
        }
    }

    #[test]
    fn reads_every_error_shape() {
        let body = br#"{"message":"%fieldName is a required field.","parameters":{"fieldName":"sku"},
            "errors":[{"message":"Qty %1 is too big","parameters":["9"]}],"trace":null}"#;
        assert_eq!(read_error_body(400, body), "sku is a required field.; Qty 9 is too big");
        let fatal = br#"{"messages":{"error":[{"code":500,"message":"Server internal error. See details in report api/1"}]}}"#;
        assert_eq!(read_error_body(500, fatal), "Server internal error. See details in report api/1");
        assert_eq!(read_error_body(502, b"<html><h1>Bad  Gateway</h1>\n</html>"), "non-JSON body: <html><h1>Bad Gateway</h1> </html>");
        assert_eq!(read_error_body(503, b""), "HTTP 503 with an empty body");
    }

    #[test]
    fn classification() {
        let api = |status, retry_after| MagentoError::Api {
            status,
            method: "GET".into(),
            path: "/V1/orders".into(),
            message: String::new(),
            retry_after,
        };
        let wait = Some(Duration::from_secs(30));
        assert_eq!(api(429, wait).transience(), Transience::Retryable { retry_after: wait });
        assert_eq!(api(503, None).transience(), Transience::Retryable { retry_after: None });
        assert_eq!(api(400, None).transience(), Transience::Permanent);
        assert_eq!(api(404, None).transience(), Transience::Permanent);
        assert_eq!(api(401, None).transience(), Transience::Permanent);
        let t = MagentoError::Timeout { method: "POST".into(), path: "/V1/orders".into() };
        assert_eq!(t.transience(), Transience::Retryable { retry_after: None });
        assert!(t.outcome_unknown() && !api(400, None).outcome_unknown());
    }
}
