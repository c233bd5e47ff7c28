#!/usr/bin/env bash
# php -l on every PHP file of the module. Exit 1 if any file fails.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
count=0
while IFS= read -r -d '' file; do
    count=$((count + 1))
    if ! out=$(php -l "$file" 2>&1); then
        echo "$out"
        status=1
    fi
done < <(find . -name '*.php' -not -path './vendor/*' -print0 | sort -z)
echo "php -l: $count files checked"
exit $status
