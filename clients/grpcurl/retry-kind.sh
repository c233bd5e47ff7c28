#!/usr/bin/env bash
# Re-run every open exception of one kind, e.g. all carrier_unmapped after fixing the
# carrier map. Prints the ids retried and those skipped (with why). Needs an operate token.
#   retry-kind.sh KIND
. "$(dirname "$0")/_common.sh"
[ $# -eq 1 ] || { echo "usage: $0 KIND   (e.g. carrier_unmapped)" >&2; exit 2; }
call ExceptionService/RetryExceptions "{\"kind\": $(json_str "$1")}"
