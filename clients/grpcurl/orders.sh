#!/usr/bin/env bash
# Orders, newest first, optionally in one state (downloaded, acknowledged, injected,
# dispatched, cancel_requested, cancelled); pass the nextPageToken for the next page.
#   orders.sh [STATE] [PAGE_TOKEN]
. "$(dirname "$0")/_common.sh"
call OrderService/ListOrders "{\"state\": $(json_str "${1:-}"), \"page_token\": $(json_str "${2:-}")}"
