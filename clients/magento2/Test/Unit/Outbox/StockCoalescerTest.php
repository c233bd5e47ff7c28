<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Outbox;

use Jlbridge\Connector\Model\Outbox\StockCoalescer;
use PHPUnit\Framework\TestCase;

final class StockCoalescerTest extends TestCase
{
    public function testLatestRowPerSkuWins(): void
    {
        $plan = (new StockCoalescer())->plan([
            ['id' => 1, 'event_type' => 'stock.changed', 'dedupe_key' => 'A'],
            ['id' => 2, 'event_type' => 'stock.changed', 'dedupe_key' => 'B'],
            ['id' => 5, 'event_type' => 'stock.changed', 'dedupe_key' => 'A'],
            ['id' => 3, 'event_type' => 'stock.changed', 'dedupe_key' => 'A'],
        ]);
        self::assertSame([1 => 5, 3 => 5], $plan);
    }

    public function testSkusAreComparedExactly(): void
    {
        $plan = (new StockCoalescer())->plan([
            ['id' => 1, 'event_type' => 'stock.changed', 'dedupe_key' => 'sku-a'],
            ['id' => 2, 'event_type' => 'stock.changed', 'dedupe_key' => 'SKU-A'],
            ['id' => 3, 'event_type' => 'stock.changed', 'dedupe_key' => 'SKU-A '],
        ]);
        self::assertSame([], $plan);
    }

    public function testStockAndPriceAreSeparateAndOtherTypesUntouched(): void
    {
        $plan = (new StockCoalescer())->plan([
            ['id' => 1, 'event_type' => 'stock.changed', 'dedupe_key' => 'A'],
            ['id' => 2, 'event_type' => 'price.changed', 'dedupe_key' => 'A'],
            ['id' => 3, 'event_type' => 'price.changed', 'dedupe_key' => 'A'],
            ['id' => 4, 'event_type' => 'shipment.created', 'dedupe_key' => 'shipment:1'],
            ['id' => 6, 'event_type' => 'shipment.created', 'dedupe_key' => 'shipment:1'],
            ['id' => 7, 'event_type' => 'stock.changed', 'dedupe_key' => null],
        ]);
        self::assertSame([2 => 3], $plan);
    }

    public function testEmptyInput(): void
    {
        self::assertSame([], (new StockCoalescer())->plan([]));
    }
}
