#!/usr/bin/env bash
# Start a full stock reconciliation now (every mapped SKU read from Magento and The Edge,
# every difference pushed). Needs an operate token.
#   full-sync.sh
. "$(dirname "$0")/_common.sh"
call StockService/TriggerFullSync '{}'
