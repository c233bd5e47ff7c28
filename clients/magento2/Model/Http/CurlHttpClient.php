<?php
/**
 * HttpClientInterface on Magento's curl client (Magento\Framework\HTTP\Client\Curl).
 * A fresh client per request; connect and total timeouts are short so a cron run never
 * hangs on an unreachable jlbridge.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Http;

use Magento\Framework\HTTP\Client\CurlFactory;

class CurlHttpClient implements HttpClientInterface
{
    public function __construct(private readonly CurlFactory $curlFactory)
    {
    }

    public function post(string $url, array $headers, string $body, int $timeoutSeconds): HttpResponse
    {
        $curl = $this->curlFactory->create();
        $curl->setHeaders($headers);
        $curl->setTimeout($timeoutSeconds);
        $curl->setOptions([
            CURLOPT_CONNECTTIMEOUT => max(1, min(5, $timeoutSeconds)),
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTPS | CURLPROTO_HTTP,
        ]);
        try {
            $curl->post($url, $body);
        } catch (\Exception $e) {
            // Magento's Curl throws \Exception with curl's error text when there is no response.
            throw new HttpTransportException($e->getMessage(), 0, $e);
        }
        $status = (int) $curl->getStatus();
        if ($status === 0) {
            throw new HttpTransportException('no HTTP status received');
        }
        return new HttpResponse($status, (string) $curl->getBody(), self::retryAfter($curl->getHeaders()));
    }

    /** @param array<string, string|string[]> $headers */
    private static function retryAfter(array $headers): ?int
    {
        foreach ($headers as $name => $value) {
            if (strcasecmp((string) $name, 'Retry-After') === 0) {
                $value = is_array($value) ? (string) reset($value) : (string) $value;
                if (preg_match('/^\s*(\d{1,6})\s*$/', $value, $m)) {
                    return (int) $m[1];
                }
                $at = strtotime($value);
                return $at === false ? null : max(0, $at - time());
            }
        }
        return null;
    }
}
