//! `SyncService`: the state of the sync at a glance, and live events.
use super::auth::{caller, Role};
use super::pb::{self, sync_service_server::SyncService};
use crate::app::AppState;
use crate::domain::exception::ExceptionKind;
use crate::store::exceptions;
use sea_orm::ConnectionTrait;
use tonic::{Request, Response, Status};

pub struct Sync {
    state: AppState,
}

impl Sync {
    pub fn new(state: AppState) -> Self {
        Sync { state }
    }
}

fn internal(e: sea_orm::DbErr) -> Status {
    super::error::status(e)
}

#[tonic::async_trait]
impl SyncService for Sync {
    type WatchEventsStream = super::watch::EventStream;

    async fn watch_events(
        &self,
        req: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        caller(&req)?.require(Role::Read)?;
        let kinds = super::watch::parse_kinds(&req.get_ref().kinds)?;
        Ok(Response::new(super::watch::stream(self.state.ops.events(), kinds, self.state.shutdown.clone())))
    }

    async fn get_sync_status(
        &self,
        req: Request<pb::GetSyncStatusRequest>,
    ) -> Result<Response<pb::SyncStatus>, Status> {
        caller(&req)?.require(Role::Read)?;
        let s = &self.state;
        let depth = s.queue.depth().await.map_err(internal)?;
        let mut open = 0;
        for kind in ExceptionKind::ALL {
            open += exceptions::count_open(&s.db, *kind).await.map_err(internal)?;
        }
        let last = chrono::DateTime::from_timestamp_millis(s.pulse.last()).unwrap_or_default();
        Ok(Response::new(pb::SyncStatus {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            database: match s.db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "postgres".into(),
                _ => "sqlite".into(),
            },
            jobs: Some(pb::QueueDepth { queued: depth.queued, running: depth.running, dead: depth.dead }),
            flows: s
                .flows
                .iter()
                .map(|f| pb::FlowState { name: f.name.clone(), enabled: f.missing.is_empty(), missing: f.missing.clone() })
                .collect(),
            open_exceptions: open,
            workers_last_seen: last.to_rfc3339(),
        }))
    }
}
