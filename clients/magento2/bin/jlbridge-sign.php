#!/usr/bin/env php
<?php
/**
 * Print the Standard Webhooks `webhook-signature` header value for a body read on stdin.
 *
 * Usage: php jlbridge-sign.php <whsec_secret> <webhook-id> <timestamp> < body
 * Needs only the module's Signer (no Magento).
 */
declare(strict_types=1);

require __DIR__ . '/../Model/Webhook/Signer.php';

use Jlbridge\Connector\Model\Webhook\Signer;

if ($argc !== 4 || !preg_match('/^\d+$/', $argv[3])) {
    fwrite(STDERR, "usage: php jlbridge-sign.php <whsec_secret> <webhook-id> <unix-timestamp> < body\n");
    exit(2);
}
$body = stream_get_contents(STDIN);
if ($body === false) {
    fwrite(STDERR, "cannot read body from stdin\n");
    exit(2);
}
try {
    echo (new Signer())->sign($argv[1], $argv[2], (int) $argv[3], $body), "\n";
} catch (\InvalidArgumentException $e) {
    fwrite(STDERR, $e->getMessage() . "\n");
    exit(2);
}
