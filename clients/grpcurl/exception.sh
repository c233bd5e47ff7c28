#!/usr/bin/env bash
# One exception in full: its error, detail, job, note.
#   exception.sh ID
. "$(dirname "$0")/_common.sh"
[ $# -eq 1 ] || { echo "usage: $0 ID" >&2; exit 2; }
call ExceptionService/GetException "{\"id\": $(json_str "$1")}"
