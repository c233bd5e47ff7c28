<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Http;

use Jlbridge\Connector\Model\Http\CurlHttpClient;
use Jlbridge\Connector\Model\Http\HttpTransportException;
use Magento\Framework\HTTP\Client\Curl;
use Magento\Framework\HTTP\Client\CurlFactory;
use PHPUnit\Framework\TestCase;

final class CurlHttpClientTest extends TestCase
{
    public function testPostsRawBodyWithHeadersAndTimeouts(): void
    {
        $curl = new Curl();
        $curl->nextStatus = 202;
        $curl->nextBody = '{"id":"1","status":"accepted"}';
        $response = (new CurlHttpClient(new CurlFactory($curl)))->post(
            'https://bridge.test/webhooks/magento',
            ['webhook-id' => 'msg_1', 'Content-Type' => 'application/json'],
            '{"a":1}',
            10
        );
        self::assertSame(202, $response->status);
        self::assertSame('{"id":"1","status":"accepted"}', $response->body);
        self::assertSame('https://bridge.test/webhooks/magento', $curl->url);
        self::assertSame('{"a":1}', $curl->postBody, 'the body is posted as a raw string, not form fields');
        self::assertSame(['webhook-id' => 'msg_1', 'Content-Type' => 'application/json'], $curl->headers);
        self::assertSame(10, $curl->timeout);
        self::assertSame(5, $curl->options[CURLOPT_CONNECTTIMEOUT]);
        self::assertFalse($curl->options[CURLOPT_FOLLOWLOCATION]);
    }

    public function testRetryAfterIsRead(): void
    {
        $curl = new Curl();
        $curl->nextStatus = 429;
        $curl->nextHeaders = ['retry-after' => '42'];
        $response = (new CurlHttpClient(new CurlFactory($curl)))->post('https://x.test', [], '{}', 10);
        self::assertSame(429, $response->status);
        self::assertSame(42, $response->retryAfter);
    }

    public function testCurlErrorBecomesTransportException(): void
    {
        $curl = new Curl();
        $curl->nextError = 'Operation timed out after 10000 milliseconds with 0 bytes received';
        $this->expectException(HttpTransportException::class);
        $this->expectExceptionMessage('timed out');
        (new CurlHttpClient(new CurlFactory($curl)))->post('https://x.test', [], '{}', 10);
    }

    public function testZeroStatusBecomesTransportException(): void
    {
        $curl = new Curl();
        $curl->nextStatus = 0;
        $this->expectException(HttpTransportException::class);
        (new CurlHttpClient(new CurlFactory($curl)))->post('https://x.test', [], '{}', 10);
    }
}
