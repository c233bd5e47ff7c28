//! `ExceptionService`: list, inspect, retry (one or a whole kind) and resolve exceptions.
use super::audit::{mutation, Summary};
use super::auth::{caller, Role};
use super::error::{status, ApiError};
use super::pb::{self, exception_service_server::ExceptionService};
use super::{convert, page_token};
use crate::app::AppState;
use crate::domain::exception::{ExceptionKind, ExceptionStatus};
use crate::ops::RetryRefused;
use crate::store::entities::exception::{self, Entity as Exceptions};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use tonic::{Request, Response, Status};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;
/// At most this many exceptions are re-queued by one `RetryExceptions` call.
const MAX_RETRY_ALL: u64 = 1000;

pub struct ExceptionApi {
    state: AppState,
}

impl ExceptionApi {
    pub fn new(state: AppState) -> Self {
        ExceptionApi { state }
    }
}

fn kinds_list() -> String {
    ExceptionKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

fn parse_kind(kind: &str) -> Result<Option<ExceptionKind>, ApiError> {
    if kind.is_empty() {
        return Ok(None);
    }
    ExceptionKind::parse(kind)
        .map(Some)
        .ok_or_else(|| ApiError::Invalid(format!("unknown exception kind {kind:?}; use one of: {}", kinds_list())))
}

/// The statuses a filter stands for: one status, "unresolved" (open + retrying), or all.
fn parse_status(s: &str) -> Result<Vec<&'static str>, ApiError> {
    match s {
        "" => Ok(Vec::new()),
        "unresolved" => Ok(vec!["open", "retrying"]),
        _ => ExceptionStatus::parse(s).map(|st| vec![st.as_str()]).ok_or_else(|| {
            ApiError::Invalid(format!("unknown status {s:?}; use open, retrying, resolved, ignored or unresolved"))
        }),
    }
}

fn check_id(id: i64) -> Result<(), ApiError> {
    if id <= 0 {
        return Err(ApiError::Invalid("id must be a positive exception id (see ListExceptions)".into()));
    }
    Ok(())
}

fn refused(id: i64, r: RetryRefused) -> ApiError {
    match r {
        RetryRefused::NotFound => ApiError::NotFound(format!("no exception with id {id}")),
        RetryRefused::Closed(st) => {
            ApiError::Precondition(format!("exception {id} is {st}; only open or retrying exceptions can be retried"))
        }
        RetryRefused::NoJob => ApiError::Precondition(format!(
            "exception {id} has no job to re-run; fix the cause, then resolve it (the flow checks again on its own schedule)"
        )),
        RetryRefused::JobBusy(job) => {
            ApiError::Precondition(format!("job {job} of exception {id} is already queued or running; it will run on its own"))
        }
    }
}

impl Summary for pb::Exception {
    fn summary(&self) -> String {
        format!("exception {} {}", self.id, self.status)
    }
}

impl Summary for pb::RetryExceptionsResponse {
    fn summary(&self) -> String {
        format!("{} retried, {} skipped", self.retried.len(), self.skipped.len())
    }
}

#[tonic::async_trait]
impl ExceptionService for ExceptionApi {
    async fn list_exceptions(
        &self,
        req: Request<pb::ListExceptionsRequest>,
    ) -> Result<Response<pb::ListExceptionsResponse>, Status> {
        caller(&req)?.require(Role::Read)?;
        let r = req.get_ref();
        let kind = parse_kind(&r.kind).map_err(status)?;
        let statuses = parse_status(&r.status).map_err(status)?;
        let filters = format!("kind={};status={}", r.kind, r.status);
        let before = page_token::decode(&r.page_token, &filters).map_err(|m| status(ApiError::Invalid(m)))?;
        let size = if r.page_size == 0 { DEFAULT_PAGE } else { r.page_size.min(MAX_PAGE) };
        let mut q = Exceptions::find();
        if let Some(k) = kind {
            q = q.filter(exception::Column::Kind.eq(k.as_str()));
        }
        if !statuses.is_empty() {
            q = q.filter(exception::Column::Status.is_in(statuses));
        }
        if let Some(b) = before {
            q = q.filter(exception::Column::Id.lt(b));
        }
        let mut rows = q
            .order_by_desc(exception::Column::Id)
            .limit(size as u64 + 1)
            .all(&self.state.db)
            .await
            .map_err(status)?;
        let more = rows.len() > size as usize;
        rows.truncate(size as usize);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => page_token::encode(&filters, last.id),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListExceptionsResponse {
            exceptions: rows.into_iter().map(convert::exception).collect(),
            next_page_token,
        }))
    }

    async fn get_exception(&self, req: Request<pb::GetExceptionRequest>) -> Result<Response<pb::Exception>, Status> {
        caller(&req)?.require(Role::Read)?;
        let id = req.get_ref().id;
        check_id(id).map_err(status)?;
        let row = crate::store::exceptions::get(&self.state.db, id).await.map_err(status)?;
        row.map(|r| Response::new(convert::exception(r)))
            .ok_or_else(|| status(ApiError::NotFound(format!("no exception with id {id}"))))
    }

    async fn retry_exception(&self, req: Request<pb::RetryExceptionRequest>) -> Result<Response<pb::Exception>, Status> {
        let id = req.get_ref().id;
        let method = "jlbridge.v1.ExceptionService/RetryException";
        mutation(&self.state, &req, method, json!({ "id": id }), || async move {
            check_id(id).map_err(status)?;
            match self.state.ops.retry_exception(id).await.map_err(status)? {
                Ok(row) => Ok(convert::exception(row)),
                Err(r) => Err(status(refused(id, r))),
            }
        })
        .await
    }

    async fn retry_exceptions(
        &self,
        req: Request<pb::RetryExceptionsRequest>,
    ) -> Result<Response<pb::RetryExceptionsResponse>, Status> {
        let kind = req.get_ref().kind.clone();
        let method = "jlbridge.v1.ExceptionService/RetryExceptions";
        mutation(&self.state, &req, method, json!({ "kind": kind }), || async move {
            let kind = parse_kind(&kind).map_err(status)?.ok_or_else(|| {
                status(ApiError::Invalid(format!("kind is required (one of: {})", kinds_list())))
            })?;
            let rows = Exceptions::find()
                .filter(exception::Column::Kind.eq(kind.as_str()))
                .filter(exception::Column::Status.eq("open"))
                .order_by_asc(exception::Column::Id)
                .limit(MAX_RETRY_ALL)
                .all(&self.state.db)
                .await
                .map_err(status)?;
            let mut out = pb::RetryExceptionsResponse::default();
            for row in rows {
                match self.state.ops.retry_exception(row.id).await.map_err(status)? {
                    Ok(_) => out.retried.push(row.id),
                    Err(r) => out.skipped.push(pb::SkippedException {
                        id: row.id,
                        entity: row.entity,
                        reason: Status::from(refused(row.id, r)).message().to_owned(),
                    }),
                }
            }
            Ok(out)
        })
        .await
    }

    async fn resolve_exception(
        &self,
        req: Request<pb::ResolveExceptionRequest>,
    ) -> Result<Response<pb::Exception>, Status> {
        let (id, note) = (req.get_ref().id, req.get_ref().note.trim().to_owned());
        let method = "jlbridge.v1.ExceptionService/ResolveException";
        mutation(&self.state, &req, method, json!({ "id": id, "note": note }), || async move {
            check_id(id).map_err(status)?;
            if note.is_empty() {
                return Err(status(ApiError::Invalid("note is required: say what was done, for whoever reads it later".into())));
            }
            let db = &self.state.db;
            let before = crate::store::exceptions::get(db, id).await.map_err(status)?;
            match before {
                None => return Err(status(ApiError::NotFound(format!("no exception with id {id}")))),
                Some(b) if b.status == "resolved" => {
                    let at = b.resolved_at.map(convert::rfc3339).unwrap_or_default();
                    return Err(status(ApiError::Precondition(format!("exception {id} was already resolved at {at}"))));
                }
                Some(_) => {}
            }
            let row = self.state.ops.resolve_exception(id, &note).await.map_err(status)?;
            row.map(convert::exception).ok_or_else(|| status(ApiError::NotFound(format!("no exception with id {id}"))))
        })
        .await
    }
}
