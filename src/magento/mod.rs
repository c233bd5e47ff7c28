//! Magento 2.4 REST client (admin API, `/rest/{store}/V1/…`).
//!
//! * `client`: HTTP plumbing and paging; `auth`: Bearer token or OAuth 1.0a signing;
//! * `orders`, `inventory`, `shipments`: the operations the flows use;
//! * `wire`: JSON shapes; `error`: `MagentoError` (implements `Classify`).
pub mod auth;
pub mod client;
pub mod error;
pub mod inventory;
pub mod orders;
pub mod search;
pub mod shipments;
pub mod wire;

pub use auth::{MagentoAuth, OAuth1Credentials, SignatureMethod};
pub use client::{MagentoClient, MagentoConfig};
pub use error::MagentoError;
pub use orders::CreateOutcome;
pub use search::{Filter, SearchCriteria};
