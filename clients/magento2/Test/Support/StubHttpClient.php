<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Support;

use Jlbridge\Connector\Model\Http\HttpClientInterface;
use Jlbridge\Connector\Model\Http\HttpResponse;

/**
 * Replays scripted responses (HttpResponse or Throwable) and records every request.
 */
final class StubHttpClient implements HttpClientInterface
{
    /** @var list<HttpResponse|\Throwable> */
    private array $script;
    private HttpResponse|\Throwable|null $default;
    /** @var list<array{url: string, headers: array<string, string>, body: string, timeout: int}> */
    public array $requests = [];

    /** @param list<HttpResponse|\Throwable> $script */
    public function __construct(array $script = [], HttpResponse|\Throwable|null $default = null)
    {
        $this->script = $script;
        $this->default = $default ?? new HttpResponse(202, '{"id":"x","status":"accepted"}');
    }

    public function post(string $url, array $headers, string $body, int $timeoutSeconds): HttpResponse
    {
        $this->requests[] = ['url' => $url, 'headers' => $headers, 'body' => $body, 'timeout' => $timeoutSeconds];
        $next = $this->script === [] ? $this->default : array_shift($this->script);
        if ($next instanceof \Throwable) {
            throw $next;
        }
        return $next;
    }
}
