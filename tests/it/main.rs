//! One integration-test binary (faster to link). Tests that need PostgreSQL, php, grpcurl,
//! an SFTP server or chromium print why they are skipped when those are absent.

mod support;

mod alerts;
mod edge_conformance;
mod edge_flow;
mod edge_paging_auth;
mod edge_rate_limit;
mod edge_support;
mod grpc;
mod grpc_support;
mod grpc_watch;
mod magento_client;
mod magento_faults;
mod magento_orders;
mod magento_schema;
mod magento_support;
mod magento_webhooks;
mod metrics;
mod migrations;
mod orders_flow;
mod orders_store;
mod orders_support;
mod php_module;
mod queue;
mod rate_limit_shared;
mod serve;
mod shipments;
mod shipments_full;
mod shipments_support;
mod stock_audit;
mod stock_flow;
mod stock_mapping;
mod stock_store;
mod stock_support;
mod webhook_corpus;
mod webhook_crash;
mod webhook_inbox;
mod webhook_python;
mod webhook_support;
mod webhooks;
mod reliability;
