#!/usr/bin/env bash
# Re-run the job of one exception (after fixing its cause). Needs an operate token.
#   retry.sh ID
. "$(dirname "$0")/_common.sh"
[ $# -eq 1 ] || { echo "usage: $0 ID" >&2; exit 2; }
call ExceptionService/RetryException "{\"id\": $(json_str "$1")}"
