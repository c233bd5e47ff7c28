//! One integration-test binary (faster to link). Tests that need PostgreSQL, php, grpcurl,
//! an SFTP server or chromium print why they are skipped when those are absent.
mod support;

mod edge_conformance;
mod edge_flow;
mod edge_paging_auth;
mod edge_rate_limit;
mod edge_support;
mod magento_client;
mod magento_orders;
mod magento_schema;
mod magento_support;
mod magento_webhooks;
mod migrations;
mod orders_cancel;
mod orders_crash;
mod orders_flow;
mod orders_paging;
mod orders_store;
mod orders_support;
mod php_module;
mod queue;
mod serve;
mod stock_store;
mod webhook_corpus;
mod webhook_support;
mod webhooks;
