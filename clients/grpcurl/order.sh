#!/usr/bin/env bash
# Where is order X: its state, lines, Magento order, timeline and open exceptions.
#   order.sh REF      (the John Lewis order reference, or the Magento increment id)
. "$(dirname "$0")/_common.sh"
[ $# -eq 1 ] || { echo "usage: $0 REF" >&2; exit 2; }
call OrderService/GetOrder "{\"order_reference\": $(json_str "$1")}"
