<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Http;

/**
 * The one HTTP call the module makes. CurlHttpClient wraps Magento's curl client; tests stub it.
 */
interface HttpClientInterface
{
    /**
     * @param array<string, string> $headers
     * @throws HttpTransportException when no HTTP response was received (refused, DNS, TLS, timeout)
     */
    public function post(string $url, array $headers, string $body, int $timeoutSeconds): HttpResponse;
}
