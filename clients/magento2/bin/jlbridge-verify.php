#!/usr/bin/env php
<?php
/**
 * Verify a Standard Webhooks signature for a body read on stdin, against the current time.
 *
 * Usage: php jlbridge-verify.php <secret[,secret...]> <webhook-id> <timestamp> <signature-header> < body
 * Exit 0 and prints "valid" when valid; exit 1 and prints the reason otherwise; exit 2 on usage errors.
 * Needs only the module's Signer (no Magento).
 */
declare(strict_types=1);

require __DIR__ . '/../Model/Webhook/Signer.php';

use Jlbridge\Connector\Model\Webhook\Signer;

if ($argc !== 5) {
    fwrite(STDERR, "usage: php jlbridge-verify.php <whsec_secret[,whsec_secret...]> <webhook-id> <unix-timestamp> <webhook-signature> < body\n");
    exit(2);
}
$body = stream_get_contents(STDIN);
if ($body === false) {
    fwrite(STDERR, "cannot read body from stdin\n");
    exit(2);
}
try {
    $reason = (new Signer())->check(explode(',', $argv[1]), $argv[2], $argv[3], $argv[4], $body);
} catch (\InvalidArgumentException $e) {
    $reason = 'invalid secret: ' . $e->getMessage();
}
if ($reason === null) {
    echo "valid\n";
    exit(0);
}
echo "invalid: {$reason}\n";
exit(1);
