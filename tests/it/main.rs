//! One integration-test binary (faster to link). Tests that need PostgreSQL, php, grpcurl,
//! an SFTP server or chromium print why they are skipped when those are absent.
mod support;

mod migrations;
mod php_module;
mod queue;
mod serve;
