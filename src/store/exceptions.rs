//! The exception queue: one row per (kind, entity), reopened when the problem recurs.
use super::entities::exception::{self, Entity as Exceptions};
use super::{now_ms, stmt};
use crate::domain::exception::{ExceptionKind, ExceptionStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

#[derive(Debug, Clone)]
pub struct NewException {
    pub kind: ExceptionKind,
    /// What it is about: a SKU, an order reference, a shipment id …
    pub entity: String,
    pub error: String,
    pub detail: Option<serde_json::Value>,
    /// The job that retries it, when there is one.
    pub job_id: Option<i64>,
}

impl NewException {
    pub fn new(kind: ExceptionKind, entity: impl Into<String>, error: impl Into<String>) -> Self {
        NewException { kind, entity: entity.into(), error: error.into(), detail: None, job_id: None }
    }
    pub fn with_job(mut self, job_id: i64) -> Self {
        self.job_id = Some(job_id);
        self
    }
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// Whether `raise` opened something new (for alerts) or counted a repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    pub id: i64,
    pub newly_open: bool,
}

/// Opens (or reopens, or counts again) the exception for this kind and entity.
/// An `ignored` exception stays ignored but still counts.
pub async fn raise<C: ConnectionTrait>(conn: &C, e: &NewException) -> Result<Raised, DbErr> {
    let backend = conn.get_database_backend();
    let now = now_ms();
    let before = Exceptions::find()
        .filter(exception::Column::Kind.eq(e.kind.as_str()))
        .filter(exception::Column::Entity.eq(e.entity.as_str()))
        .one(conn)
        .await?;
    let row = conn
        .query_one(stmt(
            backend,
            "INSERT INTO exceptions (kind, entity, status, first_seen, last_seen, count, last_error, detail, job_id) \
             VALUES ($1, $2, 'open', $3, $4, 1, $5, $6, $7) \
             ON CONFLICT (kind, entity) DO UPDATE SET \
               status = CASE WHEN exceptions.status = 'ignored' THEN 'ignored' ELSE 'open' END, \
               last_seen = excluded.last_seen, count = exceptions.count + 1, \
               last_error = excluded.last_error, detail = COALESCE(excluded.detail, exceptions.detail), \
               job_id = COALESCE(excluded.job_id, exceptions.job_id), resolved_at = NULL \
             RETURNING id",
            [
                e.kind.as_str().into(),
                e.entity.clone().into(),
                now.into(),
                now.into(),
                e.error.clone().into(),
                e.detail.as_ref().map(|d| d.to_string()).into(),
                e.job_id.into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    let id: i64 = row.try_get("", "id")?;
    let newly_open = before.is_none_or(|b| b.status == "resolved");
    Ok(Raised { id, newly_open })
}

/// Sets the status of one exception; `note` is kept for people reading it later.
pub async fn set_status<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    status: ExceptionStatus,
    note: Option<&str>,
) -> Result<bool, DbErr> {
    let resolved_at: Option<i64> = matches!(status, ExceptionStatus::Resolved).then(now_ms);
    let res = conn
        .execute(stmt(
            conn.get_database_backend(),
            "UPDATE exceptions SET status = $1, note = COALESCE($2, note), resolved_at = $3 WHERE id = $4",
            [status.as_str().into(), note.map(str::to_owned).into(), resolved_at.into(), id.into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Resolves the open exception of this kind and entity, if any (e.g. a good poll after a bad one).
pub async fn resolve_entity<C: ConnectionTrait>(
    conn: &C,
    kind: ExceptionKind,
    entity: &str,
    note: &str,
) -> Result<Option<i64>, DbErr> {
    let found = Exceptions::find()
        .filter(exception::Column::Kind.eq(kind.as_str()))
        .filter(exception::Column::Entity.eq(entity))
        .filter(exception::Column::Status.is_in(["open", "retrying"]))
        .one(conn)
        .await?;
    match found {
        Some(row) => {
            set_status(conn, row.id, ExceptionStatus::Resolved, Some(note)).await?;
            Ok(Some(row.id))
        }
        None => Ok(None),
    }
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<exception::Model>, DbErr> {
    Exceptions::find_by_id(id).one(conn).await
}

/// A page of exceptions, newest activity first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    kind: Option<ExceptionKind>,
    status: Option<ExceptionStatus>,
    offset: u64,
    limit: u64,
) -> Result<Vec<exception::Model>, DbErr> {
    let mut q = Exceptions::find();
    if let Some(k) = kind {
        q = q.filter(exception::Column::Kind.eq(k.as_str()));
    }
    if let Some(s) = status {
        q = q.filter(exception::Column::Status.eq(s.as_str()));
    }
    q.order_by_desc(exception::Column::LastSeen)
        .order_by_desc(exception::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(conn)
        .await
}

/// Open exceptions (open or retrying) counted per kind.
pub async fn count_open<C: ConnectionTrait>(conn: &C, kind: ExceptionKind) -> Result<u64, DbErr> {
    Exceptions::find()
        .filter(exception::Column::Kind.eq(kind.as_str()))
        .filter(exception::Column::Status.is_in(["open", "retrying"]))
        .count(conn)
        .await
}
