<?php
/**
 * Coalesces pending rows that carry the same key for types where only the latest value
 * matters (stock.changed and price.changed per SKU): the newest row wins, older pending
 * rows of the same key are superseded. Pure PHP, no Magento.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Outbox;

use Jlbridge\Connector\Model\Webhook\PayloadBuilder;

final class StockCoalescer
{
    public const COALESCED_TYPES = [PayloadBuilder::TYPE_STOCK_CHANGED, PayloadBuilder::TYPE_PRICE_CHANGED];

    public static function isCoalesced(string $eventType): bool
    {
        return in_array($eventType, self::COALESCED_TYPES, true);
    }

    /**
     * @param iterable<array{id: int, event_type: string, dedupe_key: ?string}> $pendingRows
     * @return array<int, int> superseded row id => id of the row that wins
     */
    public function plan(iterable $pendingRows): array
    {
        $winner = [];
        $members = [];
        foreach ($pendingRows as $row) {
            if (!self::isCoalesced($row['event_type']) || $row['dedupe_key'] === null || $row['dedupe_key'] === '') {
                continue;
            }
            // Exact key: SKUs are compared byte for byte, never normalised.
            $key = $row['event_type'] . "\0" . $row['dedupe_key'];
            $id = (int) $row['id'];
            $members[$key][] = $id;
            if (!isset($winner[$key]) || $id > $winner[$key]) {
                $winner[$key] = $id;
            }
        }
        $plan = [];
        foreach ($members as $key => $ids) {
            foreach ($ids as $id) {
                if ($id !== $winner[$key]) {
                    $plan[$id] = $winner[$key];
                }
            }
        }
        ksort($plan);
        return $plan;
    }
}
