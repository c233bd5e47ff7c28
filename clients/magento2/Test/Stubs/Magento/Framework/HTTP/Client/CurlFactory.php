<?php
declare(strict_types=1);

namespace Magento\Framework\HTTP\Client;

/** Stand-in for the generated factory: hands out the prepared instance. */
class CurlFactory
{
    public function __construct(public Curl $instance)
    {
    }

    public function create(array $data = []): Curl
    {
        return $this->instance;
    }
}
