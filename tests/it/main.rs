//! One integration-test binary (faster to link). Tests that need PostgreSQL, php, grpcurl,
//! an SFTP server or chromium print why they are skipped when those are absent.
mod support;

mod migrations;
mod queue;
mod serve;
mod stock_store;
