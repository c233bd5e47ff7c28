<?php
declare(strict_types=1);

namespace Magento\Framework\HTTP\Client;

/**
 * Stand-in for Magento's curl client: records calls; the test scripts the outcome.
 */
class Curl
{
    /** @var array<string, string> */
    public array $headers = [];
    public ?int $timeout = null;
    /** @var array<int, mixed> */
    public array $options = [];
    public ?string $url = null;
    public mixed $postBody = null;

    public int $nextStatus = 200;
    public string $nextBody = '';
    /** @var array<string, string> */
    public array $nextHeaders = [];
    public ?string $nextError = null;

    /** @param array<string, string> $headers */
    public function setHeaders($headers): void
    {
        $this->headers = $headers;
    }

    public function setTimeout($value): void
    {
        $this->timeout = (int) $value;
    }

    /** @param array<int, mixed> $arr */
    public function setOptions($arr): void
    {
        $this->options = $arr;
    }

    public function post($uri, $params): void
    {
        $this->url = $uri;
        $this->postBody = $params;
        if ($this->nextError !== null) {
            throw new \Exception($this->nextError);
        }
    }

    public function getStatus(): int
    {
        return $this->nextStatus;
    }

    public function getBody(): string
    {
        return $this->nextBody;
    }

    /** @return array<string, string> */
    public function getHeaders(): array
    {
        return $this->nextHeaders;
    }
}
