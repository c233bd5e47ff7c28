<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Support;

use Jlbridge\Connector\Model\ClockInterface;

final class FixedClock implements ClockInterface
{
    private \DateTimeImmutable $now;

    public function __construct(int $unixSeconds = 1700000000)
    {
        $this->now = (new \DateTimeImmutable('@' . $unixSeconds))->setTimezone(new \DateTimeZone('UTC'));
    }

    public function now(): \DateTimeImmutable
    {
        return $this->now;
    }

    public function advance(int $seconds): void
    {
        $this->now = $this->now->modify(sprintf('%+d seconds', $seconds));
    }
}
