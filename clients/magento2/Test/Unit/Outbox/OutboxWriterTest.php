<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Outbox;

use Jlbridge\Connector\Model\Outbox\InMemoryStorage;
use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Jlbridge\Connector\Model\Outbox\StateMachine;
use Jlbridge\Connector\Model\Webhook\PayloadBuilder;
use Jlbridge\Connector\Test\Support\FixedClock;
use Jlbridge\Connector\Test\Support\StubSettings;
use PHPUnit\Framework\TestCase;

final class OutboxWriterTest extends TestCase
{
    private InMemoryStorage $storage;
    private StubSettings $settings;
    private FixedClock $clock;
    private OutboxWriter $writer;

    protected function setUp(): void
    {
        $this->storage = new InMemoryStorage();
        $this->settings = new StubSettings();
        $this->clock = new FixedClock(1700000000);
        $this->writer = new OutboxWriter($this->storage, $this->settings, $this->clock);
    }

    /** @param list<array{sku: string, qty: int, marketplace_line_ref?: string}> $items */
    private function shipment(array $tracks, array $items = [['sku' => 'A', 'qty' => 1]]): array
    {
        return (new PayloadBuilder())->shipmentCreatedData('000000003', '1234-A', 5, $items, $tracks);
    }

    public function testStockRowPerSkuWithCaptureTimeDeduplication(): void
    {
        self::assertSame(2, $this->writer->stockChanged(['A', 'B', 'A', '', null]));
        self::assertSame(1, $this->writer->stockChanged(['A', 'C']));
        $rows = $this->storage->listRows(null, null, 10);
        self::assertCount(3, $rows);
        $row = $this->storage->get(1);
        self::assertSame('stock.changed', $row->eventType);
        self::assertSame('A', $row->dedupeKey);
        self::assertSame(['sku' => 'A'], $row->payload);
        self::assertSame('2023-11-14T22:13:20.000000Z', $row->observedAt);
        self::assertMatchesRegularExpression('/^msg_[0-9a-f]{32}$/', $row->webhookId);
        self::assertNotSame($row->webhookId, $this->storage->get(2)->webhookId);
    }

    public function testStockCapturesAreCountedOnTheUnsentRow(): void
    {
        $this->writer->stockChanged(['A']);
        $this->clock->advance(3);
        $this->writer->stockChanged(['A']);
        $this->writer->stockChanged(['A']);
        $row = $this->storage->get(1);
        self::assertSame(3, $row->captures);
        self::assertSame('2023-11-14T22:13:23.000000Z', $row->observedAt);
        self::assertCount(1, $this->storage->listRows(null, null, 10));
    }

    public function testStockChangeAfterADeliveryClaimedTheRowGetsANewRow(): void
    {
        // The race: a delivery run claimed the row (and will read the quantity now);
        // a change committed after that read must not be folded into it.
        $this->writer->stockChanged(['A']);
        self::assertTrue($this->storage->claimForFirstAttempt(1));
        self::assertSame(1, $this->writer->stockChanged(['A']));
        self::assertCount(2, $this->storage->listRows('pending', 'stock.changed', 10));
    }

    public function testShipmentUpdateAfterClaimBecomesANewEvent(): void
    {
        $this->writer->shipmentCreated($this->shipment([]));
        $this->storage->claimForFirstAttempt(1);
        $track = ['carrier_code' => 'custom', 'title' => 'Royal Mail', 'track_number' => 'JD1'];
        self::assertSame('inserted', $this->writer->shipmentCreated($this->shipment([$track])));
    }

    public function testStockAfterAnAttemptGetsANewRow(): void
    {
        $this->writer->stockChanged(['A']);
        $row = $this->storage->get(1);
        $row->attempts = 1;
        $row->body = '{}';
        $this->storage->update($row);
        self::assertSame(1, $this->writer->stockChanged(['A']));
    }

    public function testNothingCapturedWhenDisabled(): void
    {
        $this->settings->enabled = false;
        self::assertSame(0, $this->writer->stockChanged(['A']));
        self::assertFalse($this->writer->priceChanged('A', '1.00'));
        $this->settings->enabled = true;
        $this->settings->events['stock.changed'] = false;
        self::assertSame(0, $this->writer->stockChanged(['A']));
        self::assertTrue($this->writer->priceChanged('A', '1.00'));
    }

    public function testPriceLatestWinsWhileUnsent(): void
    {
        $this->writer->priceChanged('A', '10.0000');
        $this->clock->advance(5);
        $this->writer->priceChanged('A', 12.5);
        $rows = $this->storage->listRows(null, 'price.changed', 10);
        self::assertCount(1, $rows);
        self::assertSame(['items' => [['sku' => 'A', 'price' => '12.50']]], $rows[0]->payload);
        self::assertSame('2023-11-14T22:13:25.000000Z', $rows[0]->observedAt);
    }

    public function testShipmentThenTracksInSameTransactionIsOneEvent(): void
    {
        $track = ['carrier_code' => 'custom', 'title' => 'Royal Mail', 'track_number' => 'JD1'];
        self::assertSame('inserted', $this->writer->shipmentCreated($this->shipment([])));
        self::assertSame('updated', $this->writer->shipmentCreated($this->shipment([$track])));
        self::assertSame('skipped', $this->writer->shipmentCreated($this->shipment([$track])));
        $rows = $this->storage->listRows(null, 'shipment.created', 10);
        self::assertCount(1, $rows);
        self::assertSame('shipment:5', $rows[0]->dedupeKey);
        self::assertSame([$track], $rows[0]->payload['tracks']);
    }

    public function testTrackAddedAfterSendIsANewEvent(): void
    {
        $t1 = ['carrier_code' => 'custom', 'title' => 'Royal Mail', 'track_number' => 'JD1'];
        $t2 = ['carrier_code' => 'dpd', 'title' => 'DPD', 'track_number' => 'DPD9'];
        $this->writer->shipmentCreated($this->shipment([$t1]));
        $row = $this->storage->get(1);
        (new StateMachine())->recordAttempt($row, 202, null, 1700000000);
        $row->body = '{}';
        $this->storage->update($row);

        self::assertSame('skipped', $this->writer->shipmentCreated($this->shipment([$t1])), 'plain re-save');
        self::assertSame('inserted', $this->writer->shipmentCreated($this->shipment([$t1, $t2])));
        $rows = $this->storage->listRows(null, 'shipment.created', 10);
        self::assertCount(2, $rows);
        self::assertSame([$t1, $t2], $rows[0]->payload['tracks']);
    }

    public function testCancellationOncePerKey(): void
    {
        $data = (new PayloadBuilder())->orderCanceledData('000000007', '1234-A');
        self::assertTrue($this->writer->orderCanceled('order:7', $data));
        self::assertFalse($this->writer->orderCanceled('order:7', $data));
        self::assertTrue($this->writer->orderCanceled('creditmemo:3', $data + ['reason' => 'credit memo']));
        self::assertCount(2, $this->storage->listRows(null, 'order.canceled', 10));
    }
}
