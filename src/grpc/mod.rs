//! The gRPC control plane (DESIGN §3.2): its own listener, health, reflection v1 and v1alpha.
pub mod auth;
mod sync_service;

pub mod pb {
    tonic::include_proto!("jlbridge.v1");
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("jlbridge_descriptor");
}

use crate::app::AppState;
use pb::sync_service_server::SyncServiceServer;
use tonic::service::Routes;

/// Every gRPC service, with health reporting and reflection.
pub async fn routes(state: AppState) -> Routes {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter.set_serving::<SyncServiceServer<sync_service::Sync>>().await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .expect("reflection v1 from the compiled descriptor set");
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .expect("reflection v1alpha from the compiled descriptor set");
    let auth = auth::Authenticator::from_config(&state.config.grpc);
    Routes::new(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(SyncServiceServer::with_interceptor(sync_service::Sync::new(state), auth))
}
