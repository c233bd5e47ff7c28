mod magento_client;
mod magento_orders;
mod magento_schema;
mod magento_support;
mod magento_webhooks;
