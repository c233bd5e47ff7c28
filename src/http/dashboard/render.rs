//! The dashboard page and its live fragment, written only through [`Html`] (escaped values).
use super::html::Html;
use super::snapshot::{Lag, Snapshot};
use crate::alerts::meaning;
use crate::domain::exception::ExceptionKind;
use crate::domain::order_state::OrderState;

/// A duration for people: "45 s", "12 min", "3 h 05 min", "2 d 4 h".
pub fn age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3_599 => format!("{} min", s / 60),
        3_600..=86_399 => format!("{} h {:02} min", s / 3_600, (s % 3_600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3_600),
    }
}

/// A moment as UTC wall-clock time ("14:05:09 UTC"), with the date when not `now`'s day.
pub fn clock(at_ms: i64, now_ms: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_millis(at_ms) else { return "?".into() };
    let same_day = super::snapshot::start_of_day_ms(at_ms) == super::snapshot::start_of_day_ms(now_ms);
    if same_day {
        t.format("%H:%M:%S UTC").to_string()
    } else {
        t.format("%d %b %H:%M UTC").to_string()
    }
}

fn state_label(s: OrderState) -> &'static str {
    match s {
        OrderState::Downloaded => "downloaded, not acknowledged",
        OrderState::Acknowledged => "acknowledged, not in Magento",
        OrderState::Injected => "in Magento",
        OrderState::Dispatched => "dispatched",
        OrderState::CancelRequested => "cancellation requested",
        OrderState::Cancelled => "cancelled",
    }
}

/// Card tone: `ok`, `warn` or `bad` (static class names only).
fn card(h: &mut Html, tone: &'static str, title: &'static str) {
    h.raw("<article class=\"card ").raw(tone).raw("\"><h2>").raw(title).raw("</h2>");
}

fn figure(h: &mut Html, id: &'static str, value: impl std::fmt::Display, label: &'static str) {
    h.raw("<div class=\"fig\"><span class=\"n\" id=\"").raw(id).raw("\">").text(value).raw("</span> ").raw(label).raw("</div>");
}

fn row(h: &mut Html, label: &'static str, value: impl std::fmt::Display) {
    h.raw("<tr><th>").raw(label).raw("</th><td>").text(value).raw("</td></tr>");
}

fn opt_age(ms: Option<i64>) -> String {
    ms.map(age).unwrap_or_else(|| "—".into())
}

fn lag_rows(h: &mut Html, lag: &Lag, waiting: &'static str) {
    h.raw("<table>");
    row(h, "waiting now", lag.waiting);
    row(h, "oldest waiting", opt_age(lag.oldest_waiting_ms));
    h.raw("<tr><th>").raw(waiting).raw("</th><td>").text(lag.done_last_day).raw("</td></tr>");
    row(h, "average / slowest", format!("{} / {}", opt_age(lag.average_ms), opt_age(lag.max_ms)));
    h.raw("</table>");
}

/// The part of the page that the live stream replaces.
pub fn live(s: &Snapshot) -> Html {
    let now = s.at_ms;
    let mut h = Html::new();
    h.raw("<p class=\"stamp\">Updated <span id=\"updated\">").text(clock(now, now)).raw("</span> · ");
    h.raw("<b id=\"open-exceptions\">").text(s.open_exceptions()).raw("</b> open exceptions · ");
    h.raw("<b>").text(s.jobs.queued).raw("</b> jobs queued, <b>").text(s.jobs.dead).raw("</b> stopped</p>");
    h.raw("<div class=\"grid\">");

    // Orders: the last poll and today's orders.
    let poll_tone = match &s.last_poll {
        Some(p) if !p.ok => "bad",
        Some(p) if now - p.at_ms > 15 * 60_000 => "warn",
        Some(_) => "ok",
        None => "warn",
    };
    card(&mut h, poll_tone, "Orders from John Lewis");
    match &s.last_poll {
        Some(p) => {
            h.raw("<div class=\"fig\"><span class=\"n\" id=\"poll-result\">").raw(if p.ok { "OK" } else { "FAILED" });
            h.raw("</span> last download ").text(age(now - p.at_ms)).raw(" ago (").text(clock(p.at_ms, now)).raw(")</div>");
            h.raw("<p>").text(p.listed).raw(" listed · ").text(p.new_orders).raw(" new · ");
            h.text(p.cancel_requests).raw(" cancellation requests</p>");
        }
        None => {
            h.raw("<div class=\"fig\"><span class=\"n\" id=\"poll-result\">—</span> no download yet</div>");
        }
    }
    h.raw("<h3>Today (since 00:00 UTC): <span id=\"orders-today\">").text(s.orders_today_total()).raw("</span></h3><table>");
    for (state, n) in &s.orders_today {
        h.raw("<tr data-state=\"").text(state.as_str()).raw("\"><th>").raw(state_label(*state)).raw("</th><td>").text(n);
        h.raw("</td></tr>");
    }
    h.raw("</table></article>");

    // Acknowledgement and injection.
    let overdue = s.kind(ExceptionKind::AcknowledgeOverdue).map(|k| k.open).unwrap_or(0);
    let lag_tone = if overdue > 0 {
        "bad"
    } else if s.acknowledgement.oldest_waiting_ms.unwrap_or(0) > 30 * 60_000 || s.injection.oldest_waiting_ms.unwrap_or(0) > 30 * 60_000 {
        "warn"
    } else {
        "ok"
    };
    card(&mut h, lag_tone, "Order handling lag");
    h.raw("<h3>Acknowledgement on John Lewis</h3>");
    lag_rows(&mut h, &s.acknowledgement, "acknowledged, last 24 h");
    h.raw("<h3>Creation in Magento</h3>");
    lag_rows(&mut h, &s.injection, "created, last 24 h");
    h.raw("</article>");

    // Stock.
    let stock_tone = match s.stock.oldest_pending_ms {
        Some(ms) if ms > 30 * 60_000 => "bad",
        Some(ms) if ms > 5 * 60_000 => "warn",
        _ => "ok",
    };
    card(&mut h, stock_tone, "Stock to John Lewis");
    figure(&mut h, "pending-skus", s.stock.pending, "SKUs waiting to be sent");
    h.raw("<table>");
    row(&mut h, "oldest waiting (push lag)", opt_age(s.stock.oldest_pending_ms));
    row(&mut h, "last value sent", s.stock.last_push_at_ms.map(|t| clock(t, now)).unwrap_or_else(|| "—".into()));
    row(&mut h, "SKUs sent, last hour", s.stock.pushed_last_hour);
    h.raw("</table>");
    if !s.stock.pending_skus.is_empty() {
        h.raw("<p class=\"skus\">");
        for (i, sku) in s.stock.pending_skus.iter().enumerate() {
            if i > 0 {
                h.raw(" ");
            }
            h.raw("<code>").text(sku).raw("</code>");
        }
        if s.stock.pending > s.stock.pending_skus.len() as i64 {
            h.raw(" … and ").text(s.stock.pending - s.stock.pending_skus.len() as i64).raw(" more");
        }
        h.raw("</p>");
    }
    h.raw("</article>");

    // Rate limit.
    match &s.rate {
        Some(r) => {
            let used = if r.limit > 0 { (r.calls_in_window as u64 * 100 / r.limit as u64).min(100) } else { 0 };
            let tone = if r.paused_for_ms.is_some() || r.longest_wait_ms[0].unwrap_or(0) > 30_000 {
                "bad"
            } else if used >= 90 {
                "warn"
            } else {
                "ok"
            };
            card(&mut h, tone, "John Lewis call budget");
            h.raw("<div class=\"fig\"><span class=\"n\" id=\"rate-used\">").text(r.calls_in_window).raw("</span> of ");
            h.text(r.limit).raw(" calls in the last ").text(r.window_secs).raw(" s</div>");
            h.raw("<div class=\"bar\"><span style=\"width:").text(used).raw("%\"></span></div><table>");
            let labels: [&'static str; 3] = ["orders waiting", "lookups waiting", "stock updates waiting"];
            for (i, label) in labels.iter().enumerate() {
                let wait = r.longest_wait_ms[i].map(|ms| format!(" (longest {})", age(ms as i64))).unwrap_or_default();
                row(&mut h, label, format!("{}{wait}", r.queued[i]));
            }
            row(&mut h, "paused by John Lewis", r.paused_for_ms.map(|ms| format!("{} more", age(ms as i64))).unwrap_or_else(|| "no".into()));
            h.raw("</table></article>");
        }
        None => {
            card(&mut h, "warn", "John Lewis call budget");
            h.raw("<p>The John Lewis connection is not configured.</p></article>");
        }
    }

    // Exceptions.
    let open = s.open_exceptions();
    h.raw("<article class=\"card wide ").raw(if open > 0 { "warn" } else { "ok" }).raw("\"><h2>Open exceptions</h2>");
    h.raw("<table class=\"exc\"><tr><th>kind</th><td>open</td><td>oldest</td></tr>");
    for k in &s.exceptions {
        h.raw("<tr data-kind=\"").text(k.kind.as_str()).raw("\" class=\"").raw(if k.open > 0 { "hot" } else { "zero" });
        h.raw("\"><th title=\"").text(meaning(k.kind)).raw("\">").text(k.kind.as_str());
        if k.open > 0 {
            h.raw("<small>").text(meaning(k.kind)).raw("</small>");
        }
        h.raw("</th><td>").text(k.open);
        h.raw("</td><td>");
        if let (Some(ms), Some(e)) = (k.oldest_age_ms, &k.oldest_entity) {
            h.text(age(ms)).raw(" <code>").text(e).raw("</code>");
        } else {
            h.raw("—");
        }
        h.raw("</td></tr>");
    }
    h.raw("</table></article>");

    // Shipments and finance.
    let ship_tone = if s.shipped_not_confirmed > 0 || s.settlement_discrepancies > 0 { "bad" } else { "ok" };
    card(&mut h, ship_tone, "Shipments and settlement");
    figure(&mut h, "shipped-not-confirmed", s.shipped_not_confirmed, "shipped in Magento, not confirmed to John Lewis in time");
    figure(&mut h, "awaiting-dispatch", s.shipments_awaiting_dispatch, "shipments being confirmed now");
    figure(&mut h, "settlement-discrepancies", s.settlement_discrepancies, "sales report lines not matching Magento");
    h.raw("</article>");

    h.raw("</div>");
    h
}

const HEAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>jlbridge dashboard</title>
<style>
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2430;background:#eef1f5}
body{margin:0;padding:12px}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:8px 16px;margin-bottom:8px}
h1{font-size:1.3rem;margin:0}
#conn{font-size:.85rem;padding:2px 8px;border-radius:10px;background:#ddd}
#conn.live{background:#cdeccd}#conn.down{background:#f6c6c6}
.stamp{margin:0 0 10px;font-size:.95rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(290px,1fr));gap:12px}
.card{min-width:0;overflow-wrap:anywhere;background:#fff;border-radius:8px;padding:12px 14px;border-top:6px solid #9aa5b1;box-shadow:0 1px 2px #0002}
.card.ok{border-top-color:#2e9d4f}.card.warn{border-top-color:#e0a100}.card.bad{border-top-color:#d13a3a;background:#fff6f6}
h2{font-size:1.05rem;margin:0 0 8px}h3{font-size:.9rem;margin:10px 0 4px;color:#4a5563}
.fig{margin:4px 0}.n{font-size:1.6rem;font-weight:700;margin-right:4px}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:3px 4px;border-bottom:1px solid #eef0f3;vertical-align:top}
td{text-align:right;font-variant-numeric:tabular-nums}
table.exc th,table.exc td:nth-child(2){white-space:nowrap;overflow-wrap:normal}
table.exc td:last-child{text-align:left}table.exc td code{display:inline-block}
table.exc small{display:block;font-weight:400;color:#5b6673;white-space:normal;max-width:22em}
@media (min-width:640px){.card.wide{grid-column:span 2}}
tr.zero{color:#8a94a0}tr.hot th,tr.hot td{font-weight:600}
code{font-size:.85rem;background:#f0f2f5;padding:0 3px;border-radius:3px;word-break:break-all}
.bar{height:10px;background:#e4e8ee;border-radius:5px;overflow:hidden;margin:6px 0}
.bar span{display:block;height:100%;background:#3b7dd8}
footer{margin-top:12px;font-size:.8rem;color:#5b6673}
</style></head><body>
<header><h1>jlbridge — John Lewis ⇄ Magento</h1><span id="conn">connecting…</span></header>
<main id="live">"#;

const TAIL: &str = r#"</main>
<footer>Counts, SKUs and references only. What each exception means and how to fix it: docs/RUNBOOK.md.</footer>
<script>
(function(){
  var conn=document.getElementById('conn'),live=document.getElementById('live');
  var es=new EventSource('/dashboard/events');
  es.addEventListener('snapshot',function(e){live.innerHTML=e.data;conn.textContent='live';conn.className='live';});
  es.onerror=function(){conn.textContent='reconnecting…';conn.className='down';};
})();
</script>
</body></html>"#;

/// The whole page, with the snapshot at the time of the request.
pub fn page(s: &Snapshot) -> String {
    let mut h = Html::new();
    h.raw(HEAD).append(live(s)).raw(TAIL);
    h.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(45_000), "45 s");
        assert_eq!(age(12 * 60_000 + 5), "12 min");
        assert_eq!(age(3 * 3_600_000 + 5 * 60_000), "3 h 05 min");
        assert_eq!(age(2 * 86_400_000 + 4 * 3_600_000), "2 d 4 h");
        assert_eq!(age(-5), "0 s");
    }
}
