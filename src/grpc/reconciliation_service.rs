//! `ReconciliationService`: one order against the sales reports, the discrepancies found,
//! and the weekly settlement summary.
use super::audit::{mutation, Summary};
use super::auth::{caller, Role};
use super::error::{status, ApiError};
use super::page_token;
use super::pb::{self, reconciliation_service_server::ReconciliationService};
use crate::app::AppState;
use crate::domain::sales_report::{parse_date, week_start};
use crate::domain::settlement::{DiscrepancyKind, ProductSummary};
use crate::store::finance::{self, DiscrepancyRow};
use crate::sync::finance::reconcile::{self, week_ending_for};
use chrono::Datelike;
use serde_json::json;
use tonic::{Request, Response, Status};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

pub struct ReconciliationApi {
    state: AppState,
}

impl ReconciliationApi {
    pub fn new(state: AppState) -> Self {
        ReconciliationApi { state }
    }
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn discrepancy(d: DiscrepancyRow) -> pb::Discrepancy {
    pb::Discrepancy {
        id: d.id,
        order_reference: d.order_references.join(","),
        report_id: d.week_ending,
        line_ref: String::new(),
        kind: d.kind,
        expected: d.magento_figure,
        actual: d.report_figure,
        status: d.status,
        found_at: rfc3339(d.found_at),
        day: d.day,
        part_number: d.part_number,
        entity: d.entity,
        detail: d.detail,
    }
}

fn product(p: &ProductSummary) -> pb::ProductSettlement {
    pb::ProductSettlement {
        part_number: p.part_number.clone(),
        gross_sales: format!("{:.2}", p.gross_sales),
        returns: format!("{:.2}", p.returns),
        net_sales: format!("{:.2}", p.net()),
        units_sold: p.units_sold,
        units_returned: p.units_returned,
        magento_gross: format!("{:.2}", p.magento_gross),
        magento_returns: format!("{:.2}", p.magento_returns),
        lines: p.lines,
        matched_lines: p.matched_lines,
        unmatched_lines: p.unmatched_lines,
    }
}

fn week_arg(s: &str) -> Result<chrono::NaiveDate, ApiError> {
    parse_date(s).map_err(|e| ApiError::Invalid(format!("report_id must be a week ending date (YYYY-MM-DD): {e}")))
}

impl Summary for pb::ReconcileOrderResponse {
    fn summary(&self) -> String {
        format!("order {} matched={} discrepancies={}", self.order_reference, self.matched, self.discrepancies.len())
    }
}

#[tonic::async_trait]
impl ReconciliationService for ReconciliationApi {
    async fn reconcile_order(
        &self,
        req: Request<pb::ReconcileOrderRequest>,
    ) -> Result<Response<pb::ReconcileOrderResponse>, Status> {
        let reference = req.get_ref().order_reference.trim().to_owned();
        let method = "jlbridge.v1.ReconciliationService/ReconcileOrder";
        mutation(&self.state, &req, method, json!({ "order_reference": reference }), || async move {
            if reference.is_empty() {
                return Err(status(ApiError::Invalid("order_reference is required (the John Lewis order reference)".into())));
            }
            let db = &self.state.db;
            if crate::store::orders::get(db, &reference).await.map_err(status)?.is_none() {
                return Err(status(ApiError::NotFound(format!("no John Lewis order with reference {reference:?}"))));
            }
            let currency = self.state.config.finance.currency();
            let r = reconcile::reconcile_order(db, Some(&self.state.ops), &reference, currency).await.map_err(status)?;
            let ends_on = finance::latest_report(db).await.map_err(status)?.map(|x| x.week_ending.weekday());
            let figures = r
                .sold
                .iter()
                .map(|s| {
                    let w = ends_on.map(|wd| week_ending_for(s.day, wd)).filter(|w| r.weeks.contains(w));
                    pb::OrderFigure {
                        part_number: s.part_number.clone(),
                        day: s.day.to_string(),
                        units: s.units,
                        value: format!("{:.2}", s.value),
                        week_ending: w.map(|w| w.to_string()).unwrap_or_default(),
                    }
                })
                .collect();
            Ok(pb::ReconcileOrderResponse {
                order_reference: reference.clone(),
                matched: r.discrepancies.is_empty() && r.unreported_days.is_empty() && !r.sold.is_empty(),
                discrepancies: r.discrepancies.into_iter().map(discrepancy).collect(),
                figures,
                unreported_days: r.unreported_days.iter().map(|d| d.to_string()).collect(),
                currency: currency.as_str().to_owned(),
            })
        })
        .await
    }

    async fn list_discrepancies(
        &self,
        req: Request<pb::ListDiscrepanciesRequest>,
    ) -> Result<Response<pb::ListDiscrepanciesResponse>, Status> {
        caller(&req)?.require(Role::Read)?;
        let r = req.get_ref();
        let week = if r.report_id.is_empty() { None } else { Some(week_arg(&r.report_id).map_err(status)?.to_string()) };
        let st = match r.status.as_str() {
            "" => None,
            "open" | "resolved" => Some(r.status.clone()),
            other => return Err(status(ApiError::Invalid(format!("unknown status {other:?}; use open or resolved")))),
        };
        if !r.kind.is_empty() && DiscrepancyKind::parse(&r.kind).is_none() {
            let kinds: Vec<&str> = DiscrepancyKind::ALL.iter().map(|k| k.as_str()).collect();
            return Err(status(ApiError::Invalid(format!("unknown kind {:?}; use one of: {}", r.kind, kinds.join(", ")))));
        }
        let filters = format!("week={};status={};kind={}", r.report_id, r.status, r.kind);
        let before = page_token::decode(&r.page_token, &filters).map_err(|m| status(ApiError::Invalid(m)))?;
        let size = if r.page_size == 0 { DEFAULT_PAGE } else { r.page_size.min(MAX_PAGE) };
        let mut rows = Vec::new();
        let mut cursor = before;
        // Kind is filtered here; keep reading until the page is full or the rows run out.
        loop {
            let batch = finance::list_discrepancies(&self.state.db, week.as_deref(), st.as_deref(), cursor, size as u64 + 1)
                .await
                .map_err(status)?;
            let exhausted = batch.len() <= size as usize;
            cursor = batch.last().map(|b| b.id);
            rows.extend(batch.into_iter().filter(|d| r.kind.is_empty() || d.kind == r.kind));
            if rows.len() > size as usize || exhausted {
                break;
            }
        }
        let more = rows.len() > size as usize;
        rows.truncate(size as usize);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => page_token::encode(&filters, last.id),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListDiscrepanciesResponse {
            discrepancies: rows.into_iter().map(discrepancy).collect(),
            next_page_token,
        }))
    }

    async fn get_settlement_summary(
        &self,
        req: Request<pb::GetSettlementSummaryRequest>,
    ) -> Result<Response<pb::SettlementSummary>, Status> {
        caller(&req)?.require(Role::Read)?;
        let db = &self.state.db;
        let id = req.get_ref().report_id.trim();
        let report = if id.is_empty() {
            finance::latest_report(db).await.map_err(status)?.ok_or_else(|| status(ApiError::NotFound("no sales report imported yet".into())))?
        } else {
            let w = week_arg(id).map_err(status)?;
            finance::report_for_week(db, w)
                .await
                .map_err(status)?
                .ok_or_else(|| status(ApiError::NotFound(format!("no sales report imported for the week ending {w}"))))?
        };
        // Reading a summary does not raise exceptions: the matching is computed, not stored.
        let currency = crate::domain::money::Currency::parse(&report.currency).unwrap_or(self.state.config.finance.currency());
        let r = crate::sync::finance::compute_week(db, report.week_ending, currency)
            .await
            .map_err(status)?
            .ok_or_else(|| status(ApiError::NotFound(format!("no sales report imported for the week ending {}", report.week_ending))))?;
        let t = &r.total;
        Ok(Response::new(pb::SettlementSummary {
            report_id: report.week_ending.to_string(),
            period_start: week_start(report.week_ending).to_string(),
            period_end: report.week_ending.to_string(),
            report_type: "direct_to_customer".into(),
            currency: currency.as_str().to_owned(),
            gross_sales: format!("{:.2}", t.gross_sales),
            commission: String::new(),
            net_payable: format!("{:.2}", t.net()),
            lines: t.lines,
            matched_lines: t.matched_lines,
            discrepancies: r.discrepancies.len() as u32,
            returns: format!("{:.2}", t.returns),
            units_sold: t.units_sold,
            units_returned: t.units_returned,
            unmatched_lines: t.unmatched_lines,
            magento_gross: format!("{:.2}", t.magento_gross),
            magento_returns: format!("{:.2}", t.magento_returns),
            products: r.products.iter().map(product).collect(),
            report_version: report.version.max(0) as u32,
        }))
    }
}
