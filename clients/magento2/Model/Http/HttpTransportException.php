<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Http;

/** No HTTP response: connection refused, DNS failure, TLS error or timeout. */
final class HttpTransportException extends \RuntimeException
{
}
