<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Outbox;

/**
 * One row of `jlbridge_outbox`. Plain data, no Magento.
 */
final class OutboxRow
{
    public ?int $id = null;
    public string $eventType = '';
    /** Coalescing / de-duplication key: the SKU for stock and price, "shipment:<id>", "order:<id>"… */
    public ?string $dedupeKey = null;
    /** @var array<string, mixed> the `data` object (for stock: {"sku": …}; the quantity is read at first send) */
    public array $payload = [];
    /**
     * The exact body sent at the first attempt; resent unchanged on every retry.
     * null = not yet claimed by a delivery run; '' = claimed, body being built.
     */
    public ?string $body = null;
    /** Observations folded into this row before it was first sent. */
    public int $captures = 1;
    public string $state = StateMachine::STATE_PENDING;
    public int $attempts = 0;
    /** Unix seconds */
    public int $nextAttemptAt = 0;
    public ?string $lastError = null;
    public ?int $lastStatus = null;
    public string $webhookId = '';
    /** RFC 3339: when Magento observed the change */
    public string $observedAt = '';
    public ?int $sentAt = null;
    public ?int $createdAt = null;
    public ?int $updatedAt = null;

    /** @param array<string, mixed> $payload */
    public static function create(
        string $eventType,
        ?string $dedupeKey,
        array $payload,
        string $observedAt,
        string $webhookId,
        int $now
    ): self {
        $row = new self();
        $row->eventType = $eventType;
        $row->dedupeKey = $dedupeKey;
        $row->payload = $payload;
        $row->observedAt = $observedAt;
        $row->webhookId = $webhookId;
        $row->nextAttemptAt = $now;
        $row->createdAt = $now;
        $row->updatedAt = $now;
        return $row;
    }

    public static function newWebhookId(): string
    {
        return 'msg_' . bin2hex(random_bytes(16));
    }
}
