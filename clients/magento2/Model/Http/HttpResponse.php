<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Http;

final class HttpResponse
{
    public function __construct(
        public readonly int $status,
        public readonly string $body = '',
        /** seconds from a Retry-After header, when present */
        public readonly ?int $retryAfter = null
    ) {
    }
}
