//! One integration-test binary (faster to link). Tests that need PostgreSQL, php, grpcurl,
//! an SFTP server or chromium print why they are skipped when those are absent.
mod support;

mod migrations;
mod queue;
mod serve;
mod webhook_support;
mod webhook_corpus;
mod webhook_crash;
mod webhook_inbox;
mod webhook_python;
mod webhooks;
