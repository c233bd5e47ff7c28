<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model;

interface ClockInterface
{
    public function now(): \DateTimeImmutable;
}
