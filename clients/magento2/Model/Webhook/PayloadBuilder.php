<?php
/**
 * Builds webhook bodies with the exact shapes of jlbridge DESIGN §3.1. Pure PHP, no Magento.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Webhook;

final class PayloadBuilder
{
    public const TYPE_STOCK_CHANGED = 'stock.changed';
    public const TYPE_SHIPMENT_CREATED = 'shipment.created';
    public const TYPE_ORDER_CANCELED = 'order.canceled';
    public const TYPE_PRICE_CHANGED = 'price.changed';

    public const TYPES = [
        self::TYPE_STOCK_CHANGED,
        self::TYPE_SHIPMENT_CREATED,
        self::TYPE_ORDER_CANCELED,
        self::TYPE_PRICE_CHANGED,
    ];

    private const JSON_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR
        | JSON_PRESERVE_ZERO_FRACTION;

    /** RFC 3339 in UTC with microseconds, e.g. 2026-11-27T12:30:37.123456Z. */
    public static function formatTimestamp(\DateTimeInterface $at): string
    {
        $utc = \DateTimeImmutable::createFromInterface($at)->setTimezone(new \DateTimeZone('UTC'));
        return $utc->format('Y-m-d\TH:i:s.u\Z');
    }

    /**
     * The full body: {"type": ..., "timestamp": ..., "data": {...}}.
     *
     * @param array<string, mixed> $data
     */
    public function envelope(string $type, string $timestamp, array $data): string
    {
        if (!in_array($type, self::TYPES, true)) {
            throw new \InvalidArgumentException('unknown webhook type ' . $type);
        }
        return json_encode(['type' => $type, 'timestamp' => $timestamp, 'data' => (object) $data], self::JSON_FLAGS);
    }

    /**
     * @param array<int, array{sku: string, salable_qty?: int|float|string|null}> $items
     * @return array{items: list<array<string, mixed>>}
     */
    public function stockChangedData(array $items): array
    {
        $out = [];
        foreach ($items as $item) {
            $row = ['sku' => self::sku($item['sku'] ?? null)];
            if (isset($item['salable_qty'])) {
                $row['salable_qty'] = self::quantity($item['salable_qty']);
            }
            $out[] = $row;
        }
        return ['items' => $out];
    }

    /**
     * @param array<int, array{sku: string, qty: int|float|string, marketplace_line_ref?: ?string}> $items
     * @param array<int, array{carrier_code: ?string, title: ?string, track_number: ?string}> $tracks
     * @return array<string, mixed>
     */
    public function shipmentCreatedData(
        string $orderIncrementId,
        string $marketplaceOrderReference,
        int $shipmentId,
        array $items,
        array $tracks
    ): array {
        $outItems = [];
        foreach ($items as $item) {
            $row = ['sku' => self::sku($item['sku'] ?? null), 'qty' => self::quantity($item['qty'] ?? 0)];
            $ref = $item['marketplace_line_ref'] ?? null;
            if ($ref !== null && $ref !== '') {
                $row['marketplace_line_ref'] = (string) $ref;
            }
            $outItems[] = $row;
        }
        $outTracks = [];
        foreach ($tracks as $track) {
            $outTracks[] = [
                'carrier_code' => (string) ($track['carrier_code'] ?? ''),
                'title' => (string) ($track['title'] ?? ''),
                'track_number' => (string) ($track['track_number'] ?? ''),
            ];
        }
        return [
            'order_increment_id' => $orderIncrementId,
            'marketplace_order_reference' => $marketplaceOrderReference,
            'shipment_id' => $shipmentId,
            'items' => $outItems,
            'tracks' => $outTracks,
        ];
    }

    /** @return array<string, string> */
    public function orderCanceledData(string $orderIncrementId, string $marketplaceOrderReference, ?string $reason = null): array
    {
        $data = [
            'order_increment_id' => $orderIncrementId,
            'marketplace_order_reference' => $marketplaceOrderReference,
        ];
        if ($reason !== null && $reason !== '') {
            $data['reason'] = $reason;
        }
        return $data;
    }

    /**
     * @param array<int, array{sku: string, price: int|float|string}> $items
     * @return array{items: list<array{sku: string, price: string}>}
     */
    public function priceChangedData(array $items): array
    {
        $out = [];
        foreach ($items as $item) {
            $out[] = ['sku' => self::sku($item['sku'] ?? null), 'price' => self::decimal($item['price'] ?? null)];
        }
        return ['items' => $out];
    }

    /** The SKU is the immutable key: passed through exactly, never trimmed or re-cased. */
    private static function sku(mixed $sku): string
    {
        if (!is_string($sku) || $sku === '') {
            throw new \InvalidArgumentException('sku must be a non-empty string');
        }
        return $sku;
    }

    /**
     * A quantity as a JSON number: integral values as integers (Magento stores "12.0000").
     */
    public static function quantity(int|float|string $qty): int|float
    {
        if (is_int($qty)) {
            return $qty;
        }
        if (is_string($qty)) {
            if (!is_numeric($qty)) {
                throw new \InvalidArgumentException('quantity is not numeric: ' . $qty);
            }
            $qty = (float) $qty;
        }
        if (!is_finite($qty)) {
            throw new \InvalidArgumentException('quantity is not finite');
        }
        if (floor($qty) === $qty && abs($qty) < 1e15) {
            return (int) $qty;
        }
        return $qty;
    }

    /**
     * A money amount as a decimal string with at least two decimals and no float noise:
     * "24.9900" -> "24.99", 25 -> "25.00", "19.995" -> "19.995", 24.99 (float) -> "24.99".
     */
    public static function decimal(mixed $value): string
    {
        if (is_int($value)) {
            $value = (string) $value;
        } elseif (is_float($value)) {
            if (!is_finite($value)) {
                throw new \InvalidArgumentException('price is not finite');
            }
            $value = sprintf('%.4F', $value);
        }
        if (!is_string($value) || !preg_match('/^(-?)(\d+)(?:\.(\d*))?$/', trim($value), $m)) {
            throw new \InvalidArgumentException('price is not a decimal number');
        }
        $int = ltrim($m[2], '0');
        $int = $int === '' ? '0' : $int;
        $frac = rtrim($m[3] ?? '', '0');
        $frac = str_pad($frac, 2, '0');
        $sign = ($m[1] === '-' && ($int !== '0' || trim($frac, '0') !== '')) ? '-' : '';
        return $sign . $int . '.' . $frac;
    }
}
