<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Webhook;

use Jlbridge\Connector\Model\Webhook\PayloadBuilder;
use PHPUnit\Framework\TestCase;

final class PayloadBuilderTest extends TestCase
{
    private PayloadBuilder $builder;

    protected function setUp(): void
    {
        $this->builder = new PayloadBuilder();
    }

    public function testTimestampIsRfc3339Utc(): void
    {
        $at = new \DateTimeImmutable('2026-11-27 13:30:37.25', new \DateTimeZone('Europe/London'));
        self::assertSame('2026-11-27T13:30:37.250000Z', PayloadBuilder::formatTimestamp($at));
        $summer = new \DateTimeImmutable('2026-07-01 10:00:00', new \DateTimeZone('Europe/London'));
        self::assertSame('2026-07-01T09:00:00.000000Z', PayloadBuilder::formatTimestamp($summer));
    }

    public function testStockChangedExactShape(): void
    {
        $body = $this->builder->envelope(
            'stock.changed',
            '2026-11-27T12:00:00.000000Z',
            $this->builder->stockChangedData([
                ['sku' => 'TEE-M-RED', 'salable_qty' => '12.0000'],
                ['sku' => 'TEE/L "blue"', 'salable_qty' => 0],
                ['sku' => 'HALF', 'salable_qty' => 1.5],
                ['sku' => 'UNKNOWN'],
            ])
        );
        self::assertSame(
            '{"type":"stock.changed","timestamp":"2026-11-27T12:00:00.000000Z","data":{"items":['
            . '{"sku":"TEE-M-RED","salable_qty":12},'
            . '{"sku":"TEE/L \"blue\"","salable_qty":0},'
            . '{"sku":"HALF","salable_qty":1.5},'
            . '{"sku":"UNKNOWN"}]}}',
            $body
        );
    }

    public function testSkuIsNeverNormalised(): void
    {
        $data = $this->builder->stockChangedData([['sku' => ' tee-m-red ', 'salable_qty' => 1]]);
        self::assertSame(' tee-m-red ', $data['items'][0]['sku']);
    }

    public function testEmptySkuIsRejected(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->builder->stockChangedData([['sku' => '']]);
    }

    public function testShipmentCreatedExactShape(): void
    {
        $data = $this->builder->shipmentCreatedData(
            '000000003',
            '1234-A',
            5,
            [
                ['sku' => 'TEE-M-RED', 'qty' => '1.0000', 'marketplace_line_ref' => '1234-A-1'],
                ['sku' => 'MUG', 'qty' => 2, 'marketplace_line_ref' => null],
            ],
            [['carrier_code' => 'custom', 'title' => 'Royal Mail', 'track_number' => 'JD0002240000000001']]
        );
        $body = $this->builder->envelope('shipment.created', '2026-11-27T12:00:00.000000Z', $data);
        self::assertSame(
            '{"type":"shipment.created","timestamp":"2026-11-27T12:00:00.000000Z","data":{'
            . '"order_increment_id":"000000003","marketplace_order_reference":"1234-A","shipment_id":5,'
            . '"items":[{"sku":"TEE-M-RED","qty":1,"marketplace_line_ref":"1234-A-1"},{"sku":"MUG","qty":2}],'
            . '"tracks":[{"carrier_code":"custom","title":"Royal Mail","track_number":"JD0002240000000001"}]}}',
            $body
        );
    }

    public function testShipmentWithoutTracksHasEmptyArrays(): void
    {
        $data = $this->builder->shipmentCreatedData('1', 'R', 9, [], []);
        self::assertSame(
            '{"type":"shipment.created","timestamp":"t","data":{"order_increment_id":"1",'
            . '"marketplace_order_reference":"R","shipment_id":9,"items":[],"tracks":[]}}',
            $this->builder->envelope('shipment.created', 't', $data)
        );
    }

    public function testOrderCanceledExactShape(): void
    {
        self::assertSame(
            '{"type":"order.canceled","timestamp":"t","data":{"order_increment_id":"000000007",'
            . '"marketplace_order_reference":"1234-A"}}',
            $this->builder->envelope('order.canceled', 't', $this->builder->orderCanceledData('000000007', '1234-A'))
        );
        self::assertSame(
            '{"type":"order.canceled","timestamp":"t","data":{"order_increment_id":"000000007",'
            . '"marketplace_order_reference":"1234-A","reason":"credit memo 100000001"}}',
            $this->builder->envelope(
                'order.canceled',
                't',
                $this->builder->orderCanceledData('000000007', '1234-A', 'credit memo 100000001')
            )
        );
    }

    public function testPriceChangedUsesDecimalStrings(): void
    {
        $data = $this->builder->priceChangedData([
            ['sku' => 'A', 'price' => '24.9900'],
            ['sku' => 'B', 'price' => 25],
            ['sku' => 'C', 'price' => 19.99],
            ['sku' => 'D', 'price' => '19.995'],
            ['sku' => 'E', 'price' => '0.1'],
            ['sku' => 'F', 'price' => '007.50'],
        ]);
        self::assertSame(
            '{"type":"price.changed","timestamp":"t","data":{"items":[{"sku":"A","price":"24.99"},'
            . '{"sku":"B","price":"25.00"},{"sku":"C","price":"19.99"},{"sku":"D","price":"19.995"},'
            . '{"sku":"E","price":"0.10"},{"sku":"F","price":"7.50"}]}}',
            $this->builder->envelope('price.changed', 't', $data)
        );
    }

    public function testNonNumericPriceIsRejected(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        PayloadBuilder::decimal('12,50');
    }

    public function testUnknownTypeIsRejected(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->builder->envelope('stock.updated', 't', []);
    }

    public function testEmptyDataIsAnObject(): void
    {
        self::assertSame(
            '{"type":"order.canceled","timestamp":"t","data":{}}',
            $this->builder->envelope('order.canceled', 't', [])
        );
    }

    public function testUnicodeAndSlashesAreNotEscaped(): void
    {
        $body = $this->builder->envelope('stock.changed', 't', $this->builder->stockChangedData([['sku' => 'CAFÉ/1']]));
        self::assertStringContainsString('"sku":"CAFÉ/1"', $body);
    }
}
