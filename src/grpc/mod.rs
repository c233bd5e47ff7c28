//! The gRPC control plane (DESIGN §3.2): its own listener, health, reflection v1 and v1alpha.
//!
//! Served: `SyncService`, `ExceptionService`, `OrderService`, `StockService`,
//! `ReconciliationService`. A new service is registered here (in `SERVED`, health and
//! `routes`) and routes its mutating calls through `audit::mutation`.
pub mod audit;
pub mod auth;
mod convert;
mod error;
mod exception_service;
mod order_retry;
mod order_service;
mod order_view;
mod page_token;
mod reconciliation_service;
mod sku_view;
mod stock_service;
mod sync_service;
mod watch;

pub use error::ApiError;

pub mod pb {
    tonic::include_proto!("jlbridge.v1");
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("jlbridge_descriptor");
}

use crate::app::AppState;
use pb::exception_service_server::ExceptionServiceServer;
use pb::reconciliation_service_server::ReconciliationServiceServer;
use pb::order_service_server::OrderServiceServer;
use pb::stock_service_server::StockServiceServer;
use pb::sync_service_server::SyncServiceServer;
use tonic::server::NamedService;
use tonic::service::Routes;

/// Services registered below, by full name: reflection advertises only these.
const SERVED: &[&str] = &[
    <SyncServiceServer<sync_service::Sync> as NamedService>::NAME,
    <ExceptionServiceServer<exception_service::ExceptionApi> as NamedService>::NAME,
    <ReconciliationServiceServer<reconciliation_service::ReconciliationApi> as NamedService>::NAME,
    <OrderServiceServer<order_service::OrderApi> as NamedService>::NAME,
    <StockServiceServer<stock_service::StockApi> as NamedService>::NAME,
];

fn reflection_builder() -> tonic_reflection::server::Builder<'static> {
    let mut b = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .with_service_name("grpc.health.v1.Health")
        .with_service_name("grpc.reflection.v1.ServerReflection")
        .with_service_name("grpc.reflection.v1alpha.ServerReflection");
    for s in SERVED {
        b = b.with_service_name(*s);
    }
    b
}

/// Every gRPC service, with health reporting and reflection.
pub async fn routes(state: AppState) -> Routes {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter.set_serving::<SyncServiceServer<sync_service::Sync>>().await;
    reporter.set_serving::<ExceptionServiceServer<exception_service::ExceptionApi>>().await;
    reporter.set_serving::<ReconciliationServiceServer<reconciliation_service::ReconciliationApi>>().await;
    reporter.set_serving::<OrderServiceServer<order_service::OrderApi>>().await;
    reporter.set_serving::<StockServiceServer<stock_service::StockApi>>().await;
    let stop = state.shutdown.clone();
    tokio::spawn(async move {
        stop.cancelled().await;
        for s in SERVED {
            reporter.set_service_status(*s, tonic_health::ServingStatus::NotServing).await;
        }
        reporter.set_service_status("", tonic_health::ServingStatus::NotServing).await;
    });
    let reflection_v1 = reflection_builder().build_v1().expect("reflection v1 from the compiled descriptor set");
    let reflection_v1alpha =
        reflection_builder().build_v1alpha().expect("reflection v1alpha from the compiled descriptor set");
    let auth = auth::Authenticator::from_config(&state.config.grpc);
    Routes::new(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(SyncServiceServer::with_interceptor(sync_service::Sync::new(state.clone()), auth.clone()))
        .add_service(ExceptionServiceServer::with_interceptor(exception_service::ExceptionApi::new(state.clone()), auth.clone()))
        .add_service(ReconciliationServiceServer::with_interceptor(
            reconciliation_service::ReconciliationApi::new(state.clone()),
            auth.clone(),
        ))
        .add_service(OrderServiceServer::with_interceptor(order_service::OrderApi::new(state.clone()), auth.clone()))
        .add_service(StockServiceServer::with_interceptor(stock_service::StockApi::new(state), auth))
}
