//! Shared set-up for the Edge tests: a simulated Edge plus a client pointed at it.
use chrono::NaiveDate;
use jlbridge::domain::order::{MarketplaceOrder, PartNumber};
use jlbridge::marketplace::edge::{EdgeConfig, EdgeMarketplace};
use jlbridge::marketplace::rate_limit::{RateLimitConfig, RateLimiter};
use jlbridge::marketplace::{AckLine, DispatchLine};
use jlbridge::sandbox::edge::{self, EdgeSandbox, EdgeSandboxConfig};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

pub struct Rig {
    pub sandbox: EdgeSandbox,
    pub edge: Arc<EdgeMarketplace>,
    #[allow(dead_code)]
    pub limiter: RateLimiter,
}

pub async fn rig(sandbox: EdgeSandboxConfig, limit: RateLimitConfig, tweak: impl FnOnce(&mut EdgeConfig)) -> Rig {
    let sb = edge::start(sandbox).await.expect("sandbox starts");
    let mut cfg = EdgeConfig::new(
        sb.base_url(),
        sb.config().username.clone(),
        SecretString::from(sb.config().password.clone()),
    );
    cfg.request_timeout = Duration::from_secs(5);
    tweak(&mut cfg);
    let limiter = RateLimiter::new(limit);
    let edge = Arc::new(EdgeMarketplace::new(cfg, limiter.clone()).expect("client builds"));
    Rig { sandbox: sb, edge, limiter }
}

pub async fn default_rig() -> Rig {
    rig(EdgeSandboxConfig::default(), RateLimitConfig::default(), |_| {}).await
}

pub fn ack_lines(o: &MarketplaceOrder) -> Vec<AckLine> {
    o.lines
        .iter()
        .map(|l| AckLine {
            line_ref: l.line_ref.clone(),
            part_number: l.part_number.clone(),
            quantity: l.quantity,
            sub_status: Some("Pending".into()),
            dispatch_date: NaiveDate::from_ymd_opt(2026, 11, 28).and_then(|d| d.and_hms_opt(12, 0, 0)),
            delivery_date: NaiveDate::from_ymd_opt(2026, 12, 3).and_then(|d| d.and_hms_opt(12, 0, 0)),
            comment: Some("Line acknowledged".into()),
            fulfillment_route: Some("Direct to customer".into()),
        })
        .collect()
}

pub fn dispatch_line(line_ref: &str, part: &str, quantity: u32) -> DispatchLine {
    DispatchLine {
        line_ref: line_ref.into(),
        part_number: PartNumber(part.into()),
        quantity,
        carrier: "dpd".into(),
        tracking_number: "15501234567890".into(),
        tracking_url: Some("https://track.example/15501234567890".into()),
        dispatch_date: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        delivery_date: NaiveDate::from_ymd_opt(2026, 11, 30),
    }
}
