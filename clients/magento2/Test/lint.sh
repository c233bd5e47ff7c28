#!/usr/bin/env bash
# php -l on every PHP file of the module, then a well-formedness check of every XML and
# JSON file (php-xml's DOM). Exit 1 if any file fails.
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
echo "php -l: $count PHP files checked"

php -r '
$bad = 0; $n = 0;
$it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator(".", FilesystemIterator::SKIP_DOTS));
foreach ($it as $f) {
    $p = $f->getPathname();
    if (str_starts_with($p, "./vendor/")) { continue; }
    if (str_ends_with($p, ".xml") || str_ends_with($p, ".xml.dist")) {
        $n++;
        if (!class_exists("DOMDocument")) { fwrite(STDERR, "php-xml missing: XML not checked\n"); exit(1); }
        libxml_use_internal_errors(true);
        $doc = new DOMDocument();
        if (!$doc->load($p)) { echo "invalid XML: $p\n"; foreach (libxml_get_errors() as $e) { echo "  line {$e->line}: " . trim($e->message) . "\n"; } libxml_clear_errors(); $bad++; }
    } elseif (str_ends_with($p, ".json")) {
        $n++;
        json_decode((string) file_get_contents($p));
        if (json_last_error() !== JSON_ERROR_NONE) { echo "invalid JSON: $p: " . json_last_error_msg() . "\n"; $bad++; }
    }
}
echo "well-formed: $n XML/JSON files checked\n";
exit($bad ? 1 : 0);
' || status=1
exit $status
