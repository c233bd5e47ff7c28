//! One integration-test binary (faster to link). Tests that need PostgreSQL, php, grpcurl,
//! an SFTP server or chromium print why they are skipped when those are absent.
mod support;

mod edge_conformance;
mod edge_flow;
mod edge_paging_auth;
mod edge_rate_limit;
mod edge_support;
mod migrations;
mod queue;
mod serve;
mod stock_store;
