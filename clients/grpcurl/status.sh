#!/usr/bin/env bash
# Is the sync healthy? Version, database, queue depths, flows on/off, open exceptions.
#   status.sh
. "$(dirname "$0")/_common.sh"
call SyncService/GetSyncStatus
