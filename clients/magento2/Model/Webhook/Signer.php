<?php
/**
 * Standard Webhooks signer and verifier (https://www.standardwebhooks.com/).
 *
 * Self-contained on purpose: no Magento classes, no other module files, so the
 * CLI scripts in bin/ can require this single file.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Webhook;

final class Signer
{
    public const SECRET_PREFIX = 'whsec_';
    public const SIGNATURE_VERSION = 'v1';
    public const DEFAULT_TOLERANCE_SECONDS = 300;

    private int $toleranceSeconds;

    public function __construct(int $toleranceSeconds = self::DEFAULT_TOLERANCE_SECONDS)
    {
        if ($toleranceSeconds < 0) {
            throw new \InvalidArgumentException('tolerance must not be negative');
        }
        $this->toleranceSeconds = $toleranceSeconds;
    }

    /**
     * Decode a `whsec_<base64>` secret into the raw HMAC key.
     *
     * @throws \InvalidArgumentException when the secret is not valid base64 or is empty
     */
    public static function decodeSecret(string $secret): string
    {
        $secret = trim($secret);
        if (str_starts_with($secret, self::SECRET_PREFIX)) {
            $secret = substr($secret, strlen(self::SECRET_PREFIX));
        }
        $key = base64_decode($secret, true);
        if ($key === false || $key === '') {
            throw new \InvalidArgumentException('signing secret must be whsec_ followed by non-empty base64');
        }
        return $key;
    }

    /** The content that is signed: "{id}.{timestamp}.{body}". */
    public static function signedContent(string $webhookId, int $timestamp, string $body): string
    {
        return $webhookId . '.' . $timestamp . '.' . $body;
    }

    /** Value of the `webhook-signature` header: "v1,<base64 HMAC-SHA256>". */
    public function sign(string $secret, string $webhookId, int $timestamp, string $body): string
    {
        $mac = hash_hmac('sha256', self::signedContent($webhookId, $timestamp, $body), self::decodeSecret($secret), true);
        return self::SIGNATURE_VERSION . ',' . base64_encode($mac);
    }

    /**
     * Check a received webhook. Returns null when valid, otherwise the reason.
     *
     * @param string[] $secrets every currently accepted secret (rotation); any match passes
     * @param string $timestampHeader raw `webhook-timestamp` header (Unix seconds)
     * @param string $signatureHeader raw `webhook-signature` header (space-separated "v1,<b64>" entries)
     * @param int|null $now Unix seconds; defaults to time()
     */
    public function check(
        array $secrets,
        string $webhookId,
        string $timestampHeader,
        string $signatureHeader,
        string $body,
        ?int $now = null
    ): ?string {
        if ($webhookId === '') {
            return 'missing webhook-id';
        }
        if (!preg_match('/^\d{1,20}$/', trim($timestampHeader))) {
            return 'invalid webhook-timestamp';
        }
        $timestamp = (int) trim($timestampHeader);
        $now ??= time();
        if (abs($now - $timestamp) > $this->toleranceSeconds) {
            return 'timestamp outside the tolerance of ' . $this->toleranceSeconds . ' s';
        }
        $provided = [];
        foreach (preg_split('/\s+/', trim($signatureHeader)) ?: [] as $entry) {
            $parts = explode(',', $entry, 2);
            if (count($parts) === 2 && $parts[0] === self::SIGNATURE_VERSION && $parts[1] !== '') {
                $provided[] = $parts[1];
            }
        }
        if ($provided === []) {
            return 'no v1 signature in webhook-signature';
        }
        $keys = [];
        foreach ($secrets as $secret) {
            if (trim((string) $secret) === '') {
                continue;
            }
            $keys[] = self::decodeSecret((string) $secret);
        }
        if ($keys === []) {
            return 'no secret configured';
        }
        $content = self::signedContent($webhookId, $timestamp, $body);
        $matched = false;
        foreach ($keys as $key) {
            $expected = base64_encode(hash_hmac('sha256', $content, $key, true));
            foreach ($provided as $candidate) {
                // Constant time; no early exit so timing does not reveal which secret matched.
                if (hash_equals($expected, $candidate)) {
                    $matched = true;
                }
            }
        }
        return $matched ? null : 'signature mismatch';
    }

    /** @param string[] $secrets */
    public function verify(
        array $secrets,
        string $webhookId,
        string $timestampHeader,
        string $signatureHeader,
        string $body,
        ?int $now = null
    ): bool {
        return $this->check($secrets, $webhookId, $timestampHeader, $signatureHeader, $body, $now) === null;
    }
}
