#!/usr/bin/env bash
# What the buffer rules would send for SKU at a Magento quantity (nothing is stored or pushed).
#   preview-buffer.sh SKU [QTY] [AT]   (QTY default: the last observed; AT: RFC 3339, default now)
. "$(dirname "$0")/_common.sh"
[ $# -ge 1 ] || { echo "usage: $0 SKU [QTY] [AT]" >&2; exit 2; }
qty=""
if [ -n "${2:-}" ]; then
  [[ "$2" =~ ^-?[0-9]+$ ]] || { echo "QTY must be a whole number" >&2; exit 2; }
  qty=", \"magento_quantity\": $2"
fi
call StockService/PreviewBuffer "{\"sku\": $(json_str "$1"), \"at\": $(json_str "${3:-}")$qty}"
