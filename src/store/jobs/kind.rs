//! Job kinds are a closed set: a job row whose kind this build does not know is never claimed.
use crate::domain::exception::{string_enum, ExceptionKind};

string_enum!(
    JobKind {
        StockObserved => "stock.observed",
        PriceObserved => "price.observed",
        ShipmentDispatch => "shipment.dispatch",
        OrderCancelFromMagento => "order.cancel_from_magento",
        OrderAcknowledge => "order.acknowledge",
        OrderInject => "order.inject",
        OrderCancelRequest => "order.cancel_request",
    }
);

impl JobKind {
    /// The exception a dead job of this kind opens when its handler named none.
    pub fn default_exception(self) -> ExceptionKind {
        match self {
            JobKind::StockObserved | JobKind::PriceObserved => ExceptionKind::MagentoRejected,
            JobKind::OrderInject => ExceptionKind::MagentoRejected,
            JobKind::ShipmentDispatch
            | JobKind::OrderCancelFromMagento
            | JobKind::OrderAcknowledge
            | JobKind::OrderCancelRequest => ExceptionKind::MarketplaceRejected,
        }
    }
}
