//! Domain types that cross the marketplace port (besides the order types in `domain::order`).
//! Adapters convert their wire types into these; flows never see JSON.
use crate::domain::order::{MarketplaceOrderId, OrderReference, OrderStatus, PartNumber};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The value John Lewis expects for a post-dispatch cancellation, sent as a dispatch (tracking)
/// update (`reference/jl-edge.md` §8). Which field carries it on REST is an open onboarding
/// question (§12.6); the Edge adapter puts it in `tracking_number`.
pub const CANCELLED_POST_DISPATCH: &str = "CANCELLED POST-DISPATCH";

/// The marketplace's own id for a product (the number at the end of the product `url`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductId(pub String);

impl fmt::Debug for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}
impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A product as the marketplace holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketplaceProduct {
    pub id: ProductId,
    /// As sent by the marketplace (not re-validated here: the mapping check decides).
    pub part_number: PartNumber,
    /// The seller's own code (`tradedCode`), when set.
    pub traded_code: Option<String>,
    /// Free stock John Lewis currently shows, when the data model exposes it.
    pub free_stock: Option<i64>,
    /// The supplier link, to tell apart products of several suppliers with one part number.
    pub supplier: Option<String>,
}

/// A carrier the marketplace accepts (`slug` is what a dispatch carries).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    pub id: Option<i64>,
    pub slug: String,
    pub name: String,
}

/// One line of an acknowledgement: the whole ordered quantity of the line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AckLine {
    pub line_ref: String,
    pub part_number: PartNumber,
    pub quantity: u32,
    /// Retailer-defined sub-status (e.g. `Pending`).
    pub sub_status: Option<String>,
    pub dispatch_date: Option<NaiveDateTime>,
    /// John Lewis expects an expected delivery date (order date + 5–7 days).
    pub delivery_date: Option<NaiveDateTime>,
    pub comment: Option<String>,
    /// Retailer-specific value list; John Lewis: `Direct to customer`.
    pub fulfillment_route: Option<String>,
}

/// One line put on backorder: a sub-status and a new dispatch date are required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackorderLine {
    pub line_ref: String,
    pub part_number: PartNumber,
    pub quantity: u32,
    pub sub_status: String,
    pub dispatch_date: NaiveDateTime,
    pub delivery_date: Option<NaiveDateTime>,
    pub comment: Option<String>,
    pub fulfillment_route: Option<String>,
}

/// One line of a cancellation acknowledgement (or of a return acknowledgement, without comment).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CancelLine {
    pub line_ref: String,
    pub part_number: PartNumber,
    pub quantity: u32,
    pub comment: Option<String>,
}

/// One line of a return acknowledgement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReturnLine {
    pub line_ref: String,
    pub part_number: PartNumber,
    pub quantity: u32,
}

/// One dispatched line with its tracking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchLine {
    pub line_ref: String,
    pub part_number: PartNumber,
    pub quantity: u32,
    /// Carrier slug from the marketplace's list (e.g. `dpd`).
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
    pub dispatch_date: NaiveDate,
    pub delivery_date: Option<NaiveDate>,
}

impl DispatchLine {
    /// The John Lewis post-dispatch cancellation: a tracking update carrying
    /// [`CANCELLED_POST_DISPATCH`] for the cancelled units of an already dispatched line.
    pub fn cancelled_post_dispatch(
        line_ref: String,
        part_number: PartNumber,
        quantity: u32,
        carrier: String,
        date: NaiveDate,
    ) -> Self {
        DispatchLine {
            line_ref,
            part_number,
            quantity,
            carrier,
            tracking_number: CANCELLED_POST_DISPATCH.to_owned(),
            tracking_url: None,
            dispatch_date: date,
            delivery_date: None,
        }
    }
}

/// A return (RMA) raised by the retailer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketplaceReturn {
    pub id: String,
    pub order_id: Option<MarketplaceOrderId>,
    pub order_reference: Option<OrderReference>,
    pub line_ref: Option<String>,
    pub part_number: Option<PartNumber>,
    pub quantity: u32,
    pub status: OrderStatus,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}
