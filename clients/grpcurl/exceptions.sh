#!/usr/bin/env bash
# What is broken? Exceptions, newest first.
#   exceptions.sh [KIND] [STATUS] [PAGE_TOKEN]
#   STATUS: unresolved (default: open + retrying), open, retrying, resolved, ignored, or all
#   e.g. exceptions.sh carrier_unmapped   |   exceptions.sh "" all
. "$(dirname "$0")/_common.sh"
kind="${1:-}" status="${2:-unresolved}" token="${3:-}"
[ "$status" = all ] && status=""
call ExceptionService/ListExceptions \
  "{\"kind\": $(json_str "$kind"), \"status\": $(json_str "$status"), \"page_token\": $(json_str "$token")}"
