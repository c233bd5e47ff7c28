<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Outbox;

/**
 * Persistence of outbox rows. The Magento implementation is DbStorage (table jlbridge_outbox);
 * tests use an in-memory one.
 */
interface OutboxStorageInterface
{
    /** Insert a new row and set its id. */
    public function insert(OutboxRow $row): void;

    /** Persist every mutable field of an existing row. */
    public function update(OutboxRow $row): void;

    public function get(int $id): ?OutboxRow;

    /**
     * The newest row (any state) with this type and key, or null.
     */
    public function findLatestByKey(string $eventType, string $dedupeKey): ?OutboxRow;

    /**
     * Pending rows of these types that were never attempted (no body frozen yet), by key.
     *
     * @param string[] $dedupeKeys
     * @return array<string, OutboxRow> dedupe key => row
     */
    public function findUnattemptedPending(string $eventType, array $dedupeKeys): array;

    /**
     * Fold a new observation into a pending, never-attempted row, atomically: only when the
     * row still has no body (no delivery has claimed it). Increments its `captures` counter;
     * replaces the payload when one is given. Returns false when the row was claimed
     * meanwhile: the caller must insert a new row instead.
     *
     * @param array<string, mixed>|null $payload
     */
    public function touchUnattempted(int $id, ?array $payload, string $observedAt, int $now): bool;

    /**
     * Claim a row for its first attempt (body NULL -> ''), atomically and committed before the
     * body is built, so any capture that folded into the row has committed by then and every
     * later capture inserts a new row. Returns false when the row was not unclaimed.
     */
    public function claimForFirstAttempt(int $id): bool;

    /**
     * Every pending row of the given types (id, event_type, dedupe_key only).
     *
     * @param string[] $eventTypes
     * @return list<array{id: int, event_type: string, dedupe_key: ?string}>
     */
    public function listPendingKeys(array $eventTypes): array;

    /** @param array<int, int> $plan superseded id => winning id */
    public function markSuperseded(array $plan, int $now): int;

    /**
     * Pending rows due at $now, oldest first.
     *
     * @return list<OutboxRow>
     */
    public function fetchDue(int $now, int $limit): array;

    /**
     * @return list<OutboxRow> newest first
     */
    public function listRows(?string $state, ?string $eventType, int $limit): array;

    /** @return array<string, int> state => count */
    public function countByState(): array;

    /** Delete sent and superseded rows last updated before $before. Pending and failed rows are kept. */
    public function purgeFinished(int $before): int;
}
