<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Support;

use Jlbridge\Connector\Model\Stock\SalableQtyResolverInterface;

final class StubSalableQty implements SalableQtyResolverInterface
{
    /** @param array<string, int|float|null|\Throwable> $qty */
    public function __construct(public array $qty = [])
    {
    }

    public function getSalableQty(string $sku): int|float|null
    {
        $value = $this->qty[$sku] ?? null;
        if ($value instanceof \Throwable) {
            throw $value;
        }
        return $value;
    }
}
