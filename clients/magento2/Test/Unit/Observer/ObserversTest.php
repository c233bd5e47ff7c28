<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Observer;

use Jlbridge\Connector\Model\Capture\OrderFacts;
use Jlbridge\Connector\Model\Capture\ShipmentDataExtractor;
use Jlbridge\Connector\Model\Config;
use Jlbridge\Connector\Model\Outbox\InMemoryStorage;
use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Jlbridge\Connector\Model\Reservation\OrderReservationPlacer;
use Jlbridge\Connector\Model\Reservation\ReservationLedger;
use Jlbridge\Connector\Model\Webhook\PayloadBuilder;
use Jlbridge\Connector\Observer\CaptureCreditmemo;
use Jlbridge\Connector\Observer\CaptureOrderCancel;
use Jlbridge\Connector\Observer\CapturePriceChange;
use Jlbridge\Connector\Observer\CaptureShipment;
use Jlbridge\Connector\Observer\CaptureTrack;
use Jlbridge\Connector\Observer\PlaceMissingReservation;
use Jlbridge\Connector\Test\Support\FixedClock;
use Jlbridge\Connector\Test\Support\StubSettings;
use Magento\Catalog\Model\Product;
use Magento\Framework\Event;
use Magento\Framework\Event\Observer;
use Magento\Sales\Model\Order;
use Magento\Sales\Model\Order\Creditmemo;
use Magento\Sales\Model\Order\Item as OrderItem;
use Magento\Sales\Model\Order\Payment;
use Magento\Sales\Model\Order\Shipment;
use Magento\Sales\Model\Order\Shipment\Item as ShipmentItem;
use Magento\Sales\Model\Order\Shipment\Track;
use PHPUnit\Framework\TestCase;

final class ObserversTest extends TestCase
{
    private InMemoryStorage $storage;
    private OutboxWriter $writer;
    private PayloadBuilder $payloads;
    private OrderFacts $facts;

    protected function setUp(): void
    {
        $this->storage = new InMemoryStorage();
        $this->writer = new OutboxWriter($this->storage, new StubSettings(), new FixedClock());
        $this->payloads = new PayloadBuilder();
        $this->facts = new OrderFacts();
    }

    /** @param array<string, mixed> $data */
    private static function observer(array $data): Observer
    {
        return new Observer(['event' => new Event($data)]);
    }

    private static function order(string $method = 'jlbridge_marketplace', ?string $ext = '1234-A'): Order
    {
        return new Order([
            'entity_id' => 3,
            'increment_id' => '000000003',
            'ext_order_id' => $ext,
            'payment' => new Payment(['method' => $method]),
            'state' => Order::STATE_PROCESSING,
        ]);
    }

    private function shipment(Order $order, array $tracks): Shipment
    {
        $parent = new OrderItem(['item_id' => 10, 'ext_order_item_id' => '1234-A-1', 'sku' => 'TEE-M-RED']);
        $child = new OrderItem(['item_id' => 11, 'parent_item' => $parent, 'sku' => 'TEE-M-RED']);
        $single = new OrderItem(['item_id' => 12, 'ext_order_item_id' => '1234-A-2', 'sku' => 'MUG']);
        return new Shipment([
            'entity_id' => 5,
            'order' => $order,
            'all_items' => [
                new ShipmentItem(['order_item_id' => 10, 'order_item' => $parent, 'sku' => 'TEE-M-RED', 'qty' => '1.0000']),
                new ShipmentItem(['order_item_id' => 11, 'order_item' => $child, 'sku' => 'TEE-M-RED', 'qty' => '1.0000']),
                new ShipmentItem(['order_item_id' => 12, 'order_item' => $single, 'sku' => 'MUG', 'qty' => '2.0000']),
                new ShipmentItem(['order_item_id' => 13, 'order_item' => null, 'sku' => 'ZERO', 'qty' => '0.0000']),
            ],
            'all_tracks' => $tracks,
        ]);
    }

    private function extractor(): ShipmentDataExtractor
    {
        return new ShipmentDataExtractor($this->facts, $this->payloads);
    }

    public function testShipmentOfJohnLewisOrderIsCapturedWithExactData(): void
    {
        $tracks = [
            new Track(['carrier_code' => 'custom', 'title' => 'Royal Mail', 'track_number' => 'JD1']),
            new Track(['carrier_code' => 'custom', 'title' => 'Empty', 'track_number' => '']),
            (new Track(['carrier_code' => 'dpd', 'title' => 'DPD', 'track_number' => 'GONE']))->markDeleted(),
        ];
        (new CaptureShipment($this->extractor(), $this->writer))
            ->execute(self::observer(['shipment' => $this->shipment(self::order(), $tracks)]));
        $rows = $this->storage->listRows(null, 'shipment.created', 10);
        self::assertCount(1, $rows);
        self::assertSame([
            'order_increment_id' => '000000003',
            'marketplace_order_reference' => '1234-A',
            'shipment_id' => 5,
            'items' => [
                ['sku' => 'TEE-M-RED', 'qty' => 1, 'marketplace_line_ref' => '1234-A-1'],
                ['sku' => 'MUG', 'qty' => 2, 'marketplace_line_ref' => '1234-A-2'],
            ],
            'tracks' => [['carrier_code' => 'custom', 'title' => 'Royal Mail', 'track_number' => 'JD1']],
        ], $rows[0]->payload);
    }

    public function testShipmentOfOtherOrderIsIgnored(): void
    {
        (new CaptureShipment($this->extractor(), $this->writer))
            ->execute(self::observer(['shipment' => $this->shipment(self::order('checkmo', null), [])]));
        self::assertSame([], $this->storage->listRows(null, null, 10));
    }

    public function testOrderWithExtOrderIdCountsAsJohnLewis(): void
    {
        (new CaptureShipment($this->extractor(), $this->writer))
            ->execute(self::observer(['shipment' => $this->shipment(self::order('checkmo', '99-B'), [])]));
        self::assertSame('99-B', $this->storage->get(1)->payload['marketplace_order_reference']);
    }

    public function testTrackSaveRefreshesTheUnsentShipmentEvent(): void
    {
        $shipment = $this->shipment(self::order(), []);
        (new CaptureShipment($this->extractor(), $this->writer))->execute(self::observer(['shipment' => $shipment]));
        $track = new Track(['carrier_code' => 'custom', 'title' => 'Royal Mail', 'track_number' => 'JD9', 'shipment' => $shipment]);
        $shipment->setData('all_tracks', [$track]);
        (new CaptureTrack($this->extractor(), $this->writer))->execute(self::observer(['track' => $track]));
        $rows = $this->storage->listRows(null, 'shipment.created', 10);
        self::assertCount(1, $rows);
        self::assertSame('JD9', $rows[0]->payload['tracks'][0]['track_number']);
    }

    public function testCancellationIsCapturedOnceWhenStateBecomesCanceled(): void
    {
        $observer = new CaptureOrderCancel($this->facts, $this->writer, $this->payloads);
        $order = self::order()->withOrigData(['state' => Order::STATE_PROCESSING]);
        $observer->execute(self::observer(['order' => $order]));
        self::assertSame([], $this->storage->listRows(null, null, 10), 'not canceled yet');

        $order->setData('state', Order::STATE_CANCELED);
        $observer->execute(self::observer(['order' => $order]));
        $observer->execute(self::observer(['order' => $order]));
        $rows = $this->storage->listRows(null, 'order.canceled', 10);
        self::assertCount(1, $rows);
        self::assertSame('order:3', $rows[0]->dedupeKey);
        self::assertSame(
            ['order_increment_id' => '000000003', 'marketplace_order_reference' => '1234-A'],
            $rows[0]->payload
        );

        $old = self::order()->withOrigData(['state' => Order::STATE_CANCELED]);
        $old->setData('entity_id', 4);
        $old->setData('state', Order::STATE_CANCELED);
        $observer->execute(self::observer(['order' => $old]));
        self::assertCount(1, $this->storage->listRows(null, 'order.canceled', 10), 're-save of a canceled order');
    }

    public function testCancellationOfOtherOrderIsIgnored(): void
    {
        $order = self::order('checkmo', null)->withOrigData(['state' => 'processing']);
        $order->setData('state', Order::STATE_CANCELED);
        (new CaptureOrderCancel($this->facts, $this->writer, $this->payloads))->execute(self::observer(['order' => $order]));
        self::assertSame([], $this->storage->listRows(null, null, 10));
    }

    public function testCreditMemoBecomesCancellationWithReason(): void
    {
        $memo = new Creditmemo(['entity_id' => 8, 'increment_id' => '100000008', 'order' => self::order()]);
        $observer = new CaptureCreditmemo($this->facts, $this->writer, $this->payloads);
        $observer->execute(self::observer(['creditmemo' => $memo]));
        $observer->execute(self::observer(['creditmemo' => $memo]));
        $rows = $this->storage->listRows(null, 'order.canceled', 10);
        self::assertCount(1, $rows);
        self::assertSame('creditmemo:8', $rows[0]->dedupeKey);
        self::assertSame('credit memo 100000008', $rows[0]->payload['reason']);
    }

    public function testPriceChangeOnlyWhenPriceChanged(): void
    {
        $observer = new CapturePriceChange($this->writer);
        $same = (new Product(['sku' => 'A', 'price' => '10.0000']))->withOrigData(['price' => '10.0000']);
        $observer->execute(self::observer(['product' => $same]));
        self::assertSame([], $this->storage->listRows(null, null, 10));

        $changed = (new Product(['sku' => 'A', 'price' => '12.5000']))->withOrigData(['price' => '10.0000']);
        $observer->execute(self::observer(['product' => $changed]));
        self::assertSame(['items' => [['sku' => 'A', 'price' => '12.50']]], $this->storage->get(1)->payload);
    }

    public function testReservationPlacedOnceForJlbridgeOrders(): void
    {
        $config = $this->createMock(Config::class);
        $config->method('isReservationFixEnabled')->willReturn(true);
        $ledger = $this->createMock(ReservationLedger::class);
        $placer = $this->createMock(OrderReservationPlacer::class);
        $ledger->method('isHandled')->willReturnOnConsecutiveCalls(false, true);
        $ledger->method('hasOrderPlacedReservation')->with(3, '000000003')->willReturn(false);
        $placer->expects(self::once())->method('place')->willReturn(2);
        $ledger->expects(self::once())->method('markHandled')->with(3, '000000003', true);

        $observer = new PlaceMissingReservation($config, $this->facts, $ledger, $placer);
        $observer->execute(self::observer(['order' => self::order()]));
        $observer->execute(self::observer(['order' => self::order()]));
    }

    public function testReservationNotPlacedWhenMsiAlreadyHasOne(): void
    {
        $config = $this->createMock(Config::class);
        $config->method('isReservationFixEnabled')->willReturn(true);
        $ledger = $this->createMock(ReservationLedger::class);
        $placer = $this->createMock(OrderReservationPlacer::class);
        $ledger->method('isHandled')->willReturn(false);
        $ledger->method('hasOrderPlacedReservation')->willReturn(true);
        $placer->expects(self::never())->method('place');
        $ledger->expects(self::once())->method('markHandled')->with(3, '000000003', false);
        (new PlaceMissingReservation($config, $this->facts, $ledger, $placer))
            ->execute(self::observer(['order' => self::order()]));
    }

    public function testReservationIgnoresOtherPaymentMethodsAndDisabledFix(): void
    {
        $ledger = $this->createMock(ReservationLedger::class);
        $placer = $this->createMock(OrderReservationPlacer::class);
        $ledger->expects(self::never())->method('isHandled');
        $placer->expects(self::never())->method('place');

        $enabled = $this->createMock(Config::class);
        $enabled->method('isReservationFixEnabled')->willReturn(true);
        (new PlaceMissingReservation($enabled, $this->facts, $ledger, $placer))
            ->execute(self::observer(['order' => self::order('checkmo', '1234-A')]));

        $disabled = $this->createMock(Config::class);
        $disabled->method('isReservationFixEnabled')->willReturn(false);
        (new PlaceMissingReservation($disabled, $this->facts, $ledger, $placer))
            ->execute(self::observer(['order' => self::order()]));
    }
}
