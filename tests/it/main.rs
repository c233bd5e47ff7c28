//! One integration-test binary (faster to link). Tests that need PostgreSQL, php, grpcurl,
//! an SFTP server or chromium print why they are skipped when those are absent.
mod support;

mod migrations;
mod queue;
mod serve;
mod alerts;
mod grpc;
mod grpc_support;
mod grpc_watch;
mod metrics;
