//! The one error type of the marketplace port. It keeps what the marketplace said (HTTP status,
//! its error `code` and message) and classifies itself for the job queue.
use crate::domain::retry::{Classify, Transience};
use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum MarketplaceError {
    /// The marketplace answered with an error status.
    #[error("marketplace answered {status}{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Http {
        status: u16,
        /// The marketplace's secondary error code (e.g. `PRODUCT_NOT_FOUND`), when sent.
        code: Option<String>,
        message: String,
        /// A wait stated by the marketplace (`429`), or our own "later" for `409`.
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused or dropped, timeout, TLS failure.
    #[error("marketplace unreachable{}: {message}", if *timeout { " (timeout)" } else { "" })]
    Transport { message: String, timeout: bool },
    /// Login refused: wrong credentials or a disabled account.
    #[error("marketplace refused the login ({status}): {message}")]
    Auth { status: u16, message: String },
    /// An answer we could not read.
    #[error("unreadable marketplace answer: {0}")]
    Decode(String),
    /// The request could not be built from what the flow passed (a bug or bad data).
    #[error("invalid marketplace request: {0}")]
    Invalid(String),
}

impl MarketplaceError {
    pub fn status(&self) -> Option<u16> {
        match self {
            MarketplaceError::Http { status, .. } | MarketplaceError::Auth { status, .. } => Some(*status),
            _ => None,
        }
    }
    pub fn code(&self) -> Option<&str> {
        match self {
            MarketplaceError::Http { code, .. } => code.as_deref(),
            _ => None,
        }
    }
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

impl Classify for MarketplaceError {
    fn transience(&self) -> Transience {
        match self {
            MarketplaceError::Http { status, retry_after, .. } => match *status {
                429 | 409 | 408 | 423 | 425 => Transience::Retryable { retry_after: *retry_after },
                s if s >= 500 => Transience::Retryable { retry_after: *retry_after },
                _ => Transience::Permanent,
            },
            MarketplaceError::Transport { .. } => Transience::Retryable { retry_after: None },
            MarketplaceError::Auth { status, .. } if *status >= 500 || *status == 429 => {
                Transience::Retryable { retry_after: None }
            }
            MarketplaceError::Auth { .. } | MarketplaceError::Decode(_) | MarketplaceError::Invalid(_) => {
                Transience::Permanent
            }
        }
    }
}

impl From<reqwest::Error> for MarketplaceError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest's Display can include the URL; ours carry ids only, never credentials.
        MarketplaceError::Transport { message: e.to_string(), timeout: e.is_timeout() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, retry_after: Option<Duration>) -> MarketplaceError {
        MarketplaceError::Http { status, code: None, message: "x".into(), retry_after }
    }

    #[test]
    fn classification_follows_the_retry_rules() {
        let wait = Some(Duration::from_secs(12));
        assert_eq!(http(429, wait).transience(), Transience::Retryable { retry_after: wait });
        assert_eq!(http(503, None).transience(), Transience::Retryable { retry_after: None });
        assert!(matches!(http(409, wait).transience(), Transience::Retryable { .. }));
        assert_eq!(http(400, None).transience(), Transience::Permanent);
        assert_eq!(http(404, None).transience(), Transience::Permanent);
        let t = MarketplaceError::Transport { message: "reset".into(), timeout: false };
        assert!(matches!(t.transience(), Transience::Retryable { .. }));
        let a = MarketplaceError::Auth { status: 401, message: "bad".into() };
        assert_eq!(a.transience(), Transience::Permanent);
    }

    #[test]
    fn display_keeps_status_code_and_message() {
        let e = MarketplaceError::Http {
            status: 404,
            code: Some("PRODUCT_NOT_FOUND".into()),
            message: "Product not found.".into(),
            retry_after: None,
        };
        assert_eq!(e.to_string(), "marketplace answered 404 (PRODUCT_NOT_FOUND): Product not found.");
    }
}
