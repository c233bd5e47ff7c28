#!/usr/bin/env bash
# Mark an exception resolved, saying what was done. Needs an operate token.
#   resolve.sh ID "NOTE"
. "$(dirname "$0")/_common.sh"
[ $# -eq 2 ] || { echo "usage: $0 ID \"what was done\"" >&2; exit 2; }
call ExceptionService/ResolveException "{\"id\": $(json_str "$1"), \"note\": $(json_str "$2")}"
