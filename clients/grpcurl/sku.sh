#!/usr/bin/env bash
# Why is SKU Y at that quantity: Magento's quantity, the buffer rules applied, what was sent
# and when, what John Lewis shows, anything pending.
#   sku.sh SKU        (exactly as in Magento)
. "$(dirname "$0")/_common.sh"
[ $# -eq 1 ] || { echo "usage: $0 SKU" >&2; exit 2; }
call StockService/GetSku "{\"sku\": $(json_str "$1")}"
