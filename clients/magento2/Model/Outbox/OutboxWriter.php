<?php
/**
 * Capture side of the outbox: called from observers and plugins inside the Magento
 * transaction. It only writes rows (no network), so an event commits or rolls back
 * with the change that caused it. Pure PHP apart from the storage it is given.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Outbox;

use Jlbridge\Connector\Model\ClockInterface;
use Jlbridge\Connector\Model\SettingsInterface;
use Jlbridge\Connector\Model\Webhook\PayloadBuilder;

class OutboxWriter
{
    private readonly PayloadBuilder $payloads;

    public function __construct(
        private readonly OutboxStorageInterface $storage,
        private readonly SettingsInterface $settings,
        private readonly ClockInterface $clock,
        ?PayloadBuilder $payloads = null
    ) {
        $this->payloads = $payloads ?? new PayloadBuilder();
    }

    private function accepts(string $eventType): bool
    {
        return $this->settings->isEnabled() && $this->settings->isEventEnabled($eventType);
    }

    /**
     * One row per SKU. The salable quantity is read when the row is first sent, so a SKU
     * that already has a pending, never-attempted row needs nothing more.
     *
     * @param iterable<mixed> $skus
     * @return int rows inserted
     */
    public function stockChanged(iterable $skus): int
    {
        if (!$this->accepts(PayloadBuilder::TYPE_STOCK_CHANGED)) {
            return 0;
        }
        $unique = [];
        foreach ($skus as $sku) {
            if (is_string($sku) && $sku !== '') {
                $unique[$sku] = true;
            }
        }
        if ($unique === []) {
            return 0;
        }
        $keys = array_map('strval', array_keys($unique));
        $existing = $this->storage->findUnattemptedPending(PayloadBuilder::TYPE_STOCK_CHANGED, $keys);
        $now = $this->clock->now();
        $observedAt = PayloadBuilder::formatTimestamp($now);
        $inserted = 0;
        foreach ($keys as $sku) {
            if (isset($existing[$sku])
                && $this->storage->touchUnattempted((int) $existing[$sku]->id, null, $observedAt, $now->getTimestamp())) {
                continue;
            }
            $this->storage->insert(OutboxRow::create(
                PayloadBuilder::TYPE_STOCK_CHANGED,
                $sku,
                ['sku' => $sku],
                $observedAt,
                OutboxRow::newWebhookId(),
                $now->getTimestamp()
            ));
            $inserted++;
        }
        return $inserted;
    }

    /** Latest price wins: an unsent pending row for the SKU is updated in place. */
    public function priceChanged(string $sku, mixed $price): bool
    {
        if (!$this->accepts(PayloadBuilder::TYPE_PRICE_CHANGED)) {
            return false;
        }
        $now = $this->clock->now();
        $data = $this->payloads->priceChangedData([['sku' => $sku, 'price' => $price]]);
        $existing = $this->storage->findUnattemptedPending(PayloadBuilder::TYPE_PRICE_CHANGED, [$sku])[$sku] ?? null;
        if ($existing !== null && $this->storage->touchUnattempted(
            (int) $existing->id,
            $data,
            PayloadBuilder::formatTimestamp($now),
            $now->getTimestamp()
        )) {
            return true;
        }
        $this->storage->insert(OutboxRow::create(
            PayloadBuilder::TYPE_PRICE_CHANGED,
            $sku,
            $data,
            PayloadBuilder::formatTimestamp($now),
            OutboxRow::newWebhookId(),
            $now->getTimestamp()
        ));
        return true;
    }

    /**
     * A shipment (called on shipment save and on every track save). One event per shipment,
     * refreshed while unsent; a track added after the event went out produces a new event
     * with the full track list. Re-saves that change nothing are ignored.
     *
     * @param array<string, mixed> $data output of PayloadBuilder::shipmentCreatedData()
     * @return string "inserted", "updated" or "skipped"
     */
    public function shipmentCreated(array $data): string
    {
        if (!$this->accepts(PayloadBuilder::TYPE_SHIPMENT_CREATED)) {
            return 'skipped';
        }
        $key = 'shipment:' . $data['shipment_id'];
        $now = $this->clock->now();
        $latest = $this->storage->findLatestByKey(PayloadBuilder::TYPE_SHIPMENT_CREATED, $key);
        if ($latest !== null) {
            if ($latest->state === StateMachine::STATE_PENDING && $latest->attempts === 0 && $latest->body === null) {
                if ($latest->payload == $data) {
                    return 'skipped';
                }
                if ($this->storage->touchUnattempted((int) $latest->id, $data, $latest->observedAt, $now->getTimestamp())) {
                    return 'updated';
                }
                // claimed by a delivery run meanwhile: fall through to a new event
            } elseif (!self::hasNewTracks($latest->payload['tracks'] ?? [], $data['tracks'] ?? [])) {
                return 'skipped';
            }
        }
        $this->storage->insert(OutboxRow::create(
            PayloadBuilder::TYPE_SHIPMENT_CREATED,
            $key,
            $data,
            PayloadBuilder::formatTimestamp($now),
            OutboxRow::newWebhookId(),
            $now->getTimestamp()
        ));
        return 'inserted';
    }

    /**
     * A cancellation (order cancel or credit memo) of a John Lewis order, once per key
     * ("order:<id>" or "creditmemo:<id>").
     *
     * @param array<string, mixed> $data output of PayloadBuilder::orderCanceledData()
     */
    public function orderCanceled(string $key, array $data): bool
    {
        if (!$this->accepts(PayloadBuilder::TYPE_ORDER_CANCELED)) {
            return false;
        }
        if ($this->storage->findLatestByKey(PayloadBuilder::TYPE_ORDER_CANCELED, $key) !== null) {
            return false;
        }
        $now = $this->clock->now();
        $this->storage->insert(OutboxRow::create(
            PayloadBuilder::TYPE_ORDER_CANCELED,
            $key,
            $data,
            PayloadBuilder::formatTimestamp($now),
            OutboxRow::newWebhookId(),
            $now->getTimestamp()
        ));
        return true;
    }

    /**
     * @param array<int, array<string, mixed>> $before
     * @param array<int, array<string, mixed>> $after
     */
    private static function hasNewTracks(array $before, array $after): bool
    {
        $known = [];
        foreach ($before as $track) {
            $known[($track['carrier_code'] ?? '') . "\0" . ($track['track_number'] ?? '')] = true;
        }
        foreach ($after as $track) {
            if (!isset($known[($track['carrier_code'] ?? '') . "\0" . ($track['track_number'] ?? '')])) {
                return true;
            }
        }
        return false;
    }
}
