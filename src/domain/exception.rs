//! The exception queue's vocabulary (DESIGN §5).
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// What went wrong, as operators see it.
    ExceptionKind {
        SkuMismatch => "sku_mismatch",
        PartNumberUnmapped => "part_number_unmapped",
        CarrierUnmapped => "carrier_unmapped",
        AddressInvalid => "address_invalid",
        MarketplaceRejected => "marketplace_rejected",
        MagentoRejected => "magento_rejected",
        PollFailed => "poll_failed",
        AcknowledgeOverdue => "acknowledge_overdue",
        ShippedNotConfirmed => "shipped_not_confirmed",
        StockDrift => "stock_drift",
        SettlementMismatch => "settlement_mismatch",
        WebhookUnprocessable => "webhook_unprocessable",
    }
);

string_enum!(
    ExceptionStatus {
        Open => "open",
        Retrying => "retrying",
        Resolved => "resolved",
        Ignored => "ignored",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        assert_eq!(ExceptionKind::ALL.len(), 12);
        for k in ExceptionKind::ALL {
            assert_eq!(ExceptionKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(ExceptionKind::parse("nope"), None);
    }
}
