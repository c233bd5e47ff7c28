//! Alerts to a Slack-compatible incoming webhook or a generic JSON webhook (`alerts.*`).
//!
//! Flows never talk to this directly: `ops::Ops` hands it every exception opened or resolved.
//! `notify` never waits: notices go into a bounded inbox (oldest dropped when full); one task
//! groups them (`batch`), another delivers with retries (`deliver`).
mod batch;
mod deliver;
mod format;
mod inbox;
pub mod starvation;

pub use batch::{is_urgent, Message};
pub use format::meaning;

use crate::config::AlertConfig;
use crate::domain::exception::ExceptionKind;
use batch::Batcher;
use inbox::Inbox;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// An exception as alerts show it: ids only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertItem {
    pub id: i64,
    pub kind: ExceptionKind,
    pub entity: String,
    pub count: u32,
}

/// A condition of the service itself (not an exception of the queue) worth an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    /// Order calls (acknowledgements, dispatches, order reads) wait too long for the rate limit.
    OrderCallsStarved,
    /// Stock updates wait too long for the rate limit.
    StockPushesStarved,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::OrderCallsStarved => "order_calls_starved",
            Condition::StockPushesStarved => "stock_pushes_starved",
        }
    }

    /// What it means for the shop, in a few words.
    pub fn meaning(self) -> &'static str {
        match self {
            Condition::OrderCallsStarved => "order calls to John Lewis are stuck behind the rate limit",
            Condition::StockPushesStarved => "stock updates to John Lewis are stuck behind the rate limit",
        }
    }
}

/// A condition with what was measured (figures only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionItem {
    pub condition: Condition,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Opened(AlertItem),
    Resolved(AlertItem),
    /// A condition started: alerted at once, once while it lasts.
    Raised(ConditionItem),
    /// It ended: a notice when it had been alerted.
    Cleared(ConditionItem),
}

/// The handle flows (through `Ops`) use. Without a webhook configured it does nothing.
#[derive(Clone, Default)]
pub struct Alerter {
    inbox: Option<Arc<Inbox<Notice>>>,
}

/// Messages waiting for the deliverer; beyond this a message is dropped (and counted).
const OUTBOX: usize = 64;

impl Alerter {
    /// An alerter that sends nothing.
    pub fn disabled() -> Self {
        Alerter { inbox: None }
    }

    /// Starts the grouping and delivery tasks when `alerts.webhook_url` is set.
    pub fn start(cfg: &AlertConfig, stop: CancellationToken) -> Self {
        let Some(url) = &cfg.webhook_url else { return Alerter::disabled() };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client with default TLS settings");
        let delivery = deliver::Delivery {
            client,
            url: url.expose().to_owned(),
            format: cfg.format,
            max_attempts: cfg.max_attempts,
            first_backoff: Duration::from_millis(500),
        };
        let inbox = Arc::new(Inbox::new(cfg.queue_capacity));
        let (tx, rx) = mpsc::channel(OUTBOX);
        tokio::spawn(delivery.run(rx, stop.clone()));
        tokio::spawn(group(inbox.clone(), Duration::from_secs(cfg.group_secs), tx, stop));
        Alerter { inbox: Some(inbox) }
    }

    pub fn enabled(&self) -> bool {
        self.inbox.is_some()
    }

    /// Queues a notice; never waits.
    pub fn notify(&self, notice: Notice) {
        if let Some(inbox) = &self.inbox {
            inbox.push(notice);
        }
    }
}

fn hand_over(tx: &mpsc::Sender<Message>, msg: Option<Message>) {
    if let Some(m) = msg {
        if tx.try_send(m).is_err() {
            metrics::counter!("jlbridge_alerts_dropped_total").increment(1);
        }
    }
}

/// Takes notices from the inbox and turns them into messages for the deliverer.
async fn group(inbox: Arc<Inbox<Notice>>, window: Duration, tx: mpsc::Sender<Message>, stop: CancellationToken) {
    let mut batcher = Batcher::new(window);
    loop {
        let due = batcher.due();
        let stopping = tokio::select! {
            _ = inbox.ready() => false,
            _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now).into()), if due.is_some() => false,
            _ = stop.cancelled() => true,
        };
        let now = Instant::now();
        for notice in inbox.drain() {
            hand_over(&tx, batcher.accept(notice, now));
        }
        hand_over(&tx, batcher.flush(now, stopping));
        if stopping {
            break;
        }
    }
}
