#!/usr/bin/env bash
# Re-queue an order's stuck step (acknowledge, inject or cancel; default: the pending one).
# Needs an operate token.
#   retry-order.sh REF [STEP]
. "$(dirname "$0")/_common.sh"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 REF [STEP]" >&2; exit 2; }
call OrderService/RetryOrder "{\"order_reference\": $(json_str "$1"), \"step\": $(json_str "${2:-}")}"
