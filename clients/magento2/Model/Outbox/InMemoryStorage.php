<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Outbox;

/**
 * OutboxStorageInterface kept in memory, for the unit tests (same semantics as DbStorage).
 */
final class InMemoryStorage implements OutboxStorageInterface
{
    /** @var array<int, OutboxRow> */
    private array $rows = [];
    private int $nextId = 1;

    public function insert(OutboxRow $row): void
    {
        $row->id = $this->nextId++;
        $this->rows[$row->id] = clone $row;
    }

    public function update(OutboxRow $row): void
    {
        if ($row->id === null || !isset($this->rows[$row->id])) {
            throw new \RuntimeException('unknown outbox row');
        }
        $this->rows[$row->id] = clone $row;
    }

    public function get(int $id): ?OutboxRow
    {
        return isset($this->rows[$id]) ? clone $this->rows[$id] : null;
    }

    public function findLatestByKey(string $eventType, string $dedupeKey): ?OutboxRow
    {
        $found = null;
        foreach ($this->rows as $row) {
            if ($row->eventType === $eventType && $row->dedupeKey === $dedupeKey) {
                $found = $row;
            }
        }
        return $found ? clone $found : null;
    }

    public function findUnattemptedPending(string $eventType, array $dedupeKeys): array
    {
        $out = [];
        foreach ($this->rows as $row) {
            if ($row->eventType === $eventType && $row->state === StateMachine::STATE_PENDING
                && $row->attempts === 0 && $row->body === null
                && in_array($row->dedupeKey, $dedupeKeys, true)) {
                $out[(string) $row->dedupeKey] = clone $row;
            }
        }
        return $out;
    }

    public function touchUnattempted(int $id, ?array $payload, string $observedAt, int $now): bool
    {
        $row = $this->rows[$id] ?? null;
        if ($row === null || $row->state !== StateMachine::STATE_PENDING || $row->attempts !== 0 || $row->body !== null) {
            return false;
        }
        if ($payload !== null) {
            $row->payload = $payload;
        }
        $row->observedAt = $observedAt;
        $row->captures++;
        $row->updatedAt = $now;
        return true;
    }

    public function claimForFirstAttempt(int $id): bool
    {
        $row = $this->rows[$id] ?? null;
        if ($row === null || $row->body !== null) {
            return false;
        }
        $row->body = '';
        return true;
    }

    public function listPendingKeys(array $eventTypes): array
    {
        $out = [];
        foreach ($this->rows as $row) {
            if ($row->state === StateMachine::STATE_PENDING && in_array($row->eventType, $eventTypes, true)) {
                $out[] = ['id' => (int) $row->id, 'event_type' => $row->eventType, 'dedupe_key' => $row->dedupeKey];
            }
        }
        return $out;
    }

    public function markSuperseded(array $plan, int $now): int
    {
        $machine = new StateMachine();
        $n = 0;
        foreach ($plan as $id => $winner) {
            if (isset($this->rows[$id]) && $this->rows[$id]->state === StateMachine::STATE_PENDING) {
                $machine->supersede($this->rows[$id], $winner, $now);
                $n++;
            }
        }
        return $n;
    }

    public function fetchDue(int $now, int $limit): array
    {
        $out = [];
        foreach ($this->rows as $row) {
            if ($row->state === StateMachine::STATE_PENDING && $row->nextAttemptAt <= $now) {
                $out[] = clone $row;
                if (count($out) >= $limit) {
                    break;
                }
            }
        }
        return $out;
    }

    public function listRows(?string $state, ?string $eventType, int $limit): array
    {
        $out = [];
        foreach (array_reverse($this->rows, true) as $row) {
            if (($state === null || $row->state === $state) && ($eventType === null || $row->eventType === $eventType)) {
                $out[] = clone $row;
                if (count($out) >= $limit) {
                    break;
                }
            }
        }
        return $out;
    }

    public function countByState(): array
    {
        $out = [];
        foreach ($this->rows as $row) {
            $out[$row->state] = ($out[$row->state] ?? 0) + 1;
        }
        return $out;
    }

    public function purgeFinished(int $before): int
    {
        $n = 0;
        foreach ($this->rows as $id => $row) {
            if (in_array($row->state, [StateMachine::STATE_SENT, StateMachine::STATE_SUPERSEDED], true)
                && (int) $row->updatedAt < $before) {
                unset($this->rows[$id]);
                $n++;
            }
        }
        return $n;
    }
}
