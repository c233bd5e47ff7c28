<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Plugin;

use Jlbridge\Connector\Model\Outbox\InMemoryStorage;
use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Jlbridge\Connector\Plugin\PlaceReservationsPlugin;
use Jlbridge\Connector\Plugin\SourceItemsDeletePlugin;
use Jlbridge\Connector\Plugin\SourceItemsSavePlugin;
use Jlbridge\Connector\Test\Support\FixedClock;
use Jlbridge\Connector\Test\Support\StubSettings;
use Magento\InventoryApi\Api\Data\SourceItemInterface;
use Magento\InventoryApi\Api\SourceItemsDeleteInterface;
use Magento\InventoryApi\Api\SourceItemsSaveInterface;
use Magento\InventorySalesApi\Api\Data\ItemToSellInterface;
use Magento\InventorySalesApi\Api\Data\SalesChannelInterface;
use Magento\InventorySalesApi\Api\Data\SalesEventInterface;
use Magento\InventorySalesApi\Api\PlaceReservationsForSalesEventInterface;
use PHPUnit\Framework\TestCase;

final class StockPluginsTest extends TestCase
{
    private InMemoryStorage $storage;
    private OutboxWriter $writer;

    protected function setUp(): void
    {
        $this->storage = new InMemoryStorage();
        $this->writer = new OutboxWriter($this->storage, new StubSettings(), new FixedClock());
    }

    private function sourceItem(string $sku): SourceItemInterface
    {
        $item = $this->createMock(SourceItemInterface::class);
        $item->method('getSku')->willReturn($sku);
        return $item;
    }

    /** @return list<string> */
    private function pendingSkus(): array
    {
        $skus = [];
        foreach ($this->storage->listRows('pending', 'stock.changed', 100) as $row) {
            $skus[] = (string) $row->dedupeKey;
        }
        sort($skus);
        return $skus;
    }

    public function testSourceItemsSaveEnqueuesEachSkuOnce(): void
    {
        $plugin = new SourceItemsSavePlugin($this->writer);
        $subject = $this->createMock(SourceItemsSaveInterface::class);
        $result = $plugin->afterExecute(
            $subject,
            null,
            [$this->sourceItem('A'), $this->sourceItem('B'), $this->sourceItem('A')]
        );
        self::assertNull($result);
        self::assertSame(['A', 'B'], $this->pendingSkus());
    }

    public function testSourceItemsDeleteEnqueues(): void
    {
        $plugin = new SourceItemsDeletePlugin($this->writer);
        $plugin->afterExecute($this->createMock(SourceItemsDeleteInterface::class), null, [$this->sourceItem('C')]);
        self::assertSame(['C'], $this->pendingSkus());
    }

    public function testReservationPlacementEnqueuesAndCoalescesWithSourceSave(): void
    {
        $item = $this->createMock(ItemToSellInterface::class);
        $item->method('getSku')->willReturn('A');
        (new SourceItemsSavePlugin($this->writer))->afterExecute(
            $this->createMock(SourceItemsSaveInterface::class),
            null,
            [$this->sourceItem('A')]
        );
        (new PlaceReservationsPlugin($this->writer))->afterExecute(
            $this->createMock(PlaceReservationsForSalesEventInterface::class),
            null,
            [$item],
            $this->createMock(SalesChannelInterface::class),
            $this->createMock(SalesEventInterface::class)
        );
        self::assertSame(['A'], $this->pendingSkus());
    }
}
