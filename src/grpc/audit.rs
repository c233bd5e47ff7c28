//! Mutating calls go through `mutation`: it checks the `operate` role, runs the operation,
//! and writes one audit row (token name, method, arguments, result) whatever the outcome,
//! refusals included. Every mutating RPC, now and as flows add theirs, uses it.
use super::auth::{caller, Role};
use crate::app::AppState;
use crate::store::audit;
use std::future::Future;
use tonic::{Request, Response, Status};

/// A short, id-only description of a successful result for the audit log.
pub trait Summary {
    fn summary(&self) -> String;
}

fn code_text(s: &Status) -> String {
    format!("{:?}: {}", s.code(), s.message())
}

pub async fn mutation<Req, T, F, Fut>(
    state: &AppState,
    req: &Request<Req>,
    method: &str,
    args: serde_json::Value,
    op: F,
) -> Result<Response<T>, Status>
where
    T: Summary,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    let who = caller(req)?;
    let outcome = match who.require(Role::Operate) {
        Ok(()) => op().await,
        Err(denied) => Err(denied),
    };
    let result = match &outcome {
        Ok(v) => format!("ok: {}", v.summary()),
        Err(s) => code_text(s),
    };
    tracing::info!(actor = %who.name, method, %result, "control plane call");
    if let Err(e) = audit::record(&state.db, &who.name, method, &args, &result).await {
        tracing::error!(actor = %who.name, method, error = %e, "writing the audit row failed");
    }
    outcome.map(Response::new)
}
