#!/usr/bin/env bash
# Follow sync events live (Ctrl-C to stop): stock pushed, orders, exceptions, dead jobs.
#   watch.sh [KIND ...]     e.g. watch.sh exception_opened exception_resolved
. "$(dirname "$0")/_common.sh"
kinds=""
for k in "$@"; do kinds="${kinds:+$kinds, }$(json_str "$k")"; done
call SyncService/WatchEvents "{\"kinds\": [${kinds}]}"
