<?php
/**
 * OutboxStorageInterface on the `jlbridge_outbox` table. Writes go through the default
 * connection, so rows inserted from an observer share the open sales/catalog transaction.
 * Times are stored in UTC.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Outbox;

use Magento\Framework\App\ResourceConnection;
use Magento\Framework\DB\Adapter\AdapterInterface;

class DbStorage implements OutboxStorageInterface
{
    public const TABLE = 'jlbridge_outbox';
    private const CHUNK = 500;
    private const JSON_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR
        | JSON_PRESERVE_ZERO_FRACTION;

    public function __construct(private readonly ResourceConnection $resource)
    {
    }

    private function db(): AdapterInterface
    {
        return $this->resource->getConnection();
    }

    private function table(): string
    {
        return $this->resource->getTableName(self::TABLE);
    }

    private static function time(?int $unix): ?string
    {
        return $unix === null ? null : gmdate('Y-m-d H:i:s', $unix);
    }

    private static function unix(?string $value): ?int
    {
        if ($value === null || $value === '') {
            return null;
        }
        return (new \DateTimeImmutable($value, new \DateTimeZone('UTC')))->getTimestamp();
    }

    /** @return array<string, mixed> */
    private static function toRow(OutboxRow $row): array
    {
        return [
            'event_type' => $row->eventType,
            'dedupe_key' => $row->dedupeKey,
            'payload' => json_encode((object) $row->payload, self::JSON_FLAGS),
            'body' => $row->body,
            'state' => $row->state,
            'attempts' => $row->attempts,
            'captures' => $row->captures,
            'next_attempt_at' => self::time($row->nextAttemptAt),
            'last_error' => $row->lastError,
            'last_status' => $row->lastStatus,
            'webhook_id' => $row->webhookId,
            'observed_at' => $row->observedAt,
            'sent_at' => self::time($row->sentAt),
            'created_at' => self::time($row->createdAt ?? time()),
            'updated_at' => self::time($row->updatedAt ?? time()),
        ];
    }

    /** @param array<string, mixed> $data */
    private static function fromRow(array $data): OutboxRow
    {
        $row = new OutboxRow();
        $row->id = (int) $data['entity_id'];
        $row->eventType = (string) $data['event_type'];
        $row->dedupeKey = $data['dedupe_key'] === null ? null : (string) $data['dedupe_key'];
        $payload = json_decode((string) $data['payload'], true);
        $row->payload = is_array($payload) ? $payload : [];
        $row->body = $data['body'] === null ? null : (string) $data['body'];
        $row->state = (string) $data['state'];
        $row->attempts = (int) $data['attempts'];
        $row->captures = (int) $data['captures'];
        $row->nextAttemptAt = (int) self::unix($data['next_attempt_at']);
        $row->lastError = $data['last_error'] === null ? null : (string) $data['last_error'];
        $row->lastStatus = $data['last_status'] === null ? null : (int) $data['last_status'];
        $row->webhookId = (string) $data['webhook_id'];
        $row->observedAt = (string) $data['observed_at'];
        $row->sentAt = self::unix($data['sent_at']);
        $row->createdAt = self::unix($data['created_at']);
        $row->updatedAt = self::unix($data['updated_at']);
        return $row;
    }

    public function insert(OutboxRow $row): void
    {
        $this->db()->insert($this->table(), self::toRow($row));
        $row->id = (int) $this->db()->lastInsertId($this->table());
    }

    public function update(OutboxRow $row): void
    {
        if ($row->id === null) {
            throw new \RuntimeException('cannot update an outbox row without id');
        }
        $data = self::toRow($row);
        unset($data['created_at'], $data['webhook_id']);
        $this->db()->update($this->table(), $data, ['entity_id = ?' => $row->id]);
    }

    public function get(int $id): ?OutboxRow
    {
        $select = $this->db()->select()->from($this->table())->where('entity_id = ?', $id);
        $data = $this->db()->fetchRow($select);
        return $data ? self::fromRow($data) : null;
    }

    public function findLatestByKey(string $eventType, string $dedupeKey): ?OutboxRow
    {
        $select = $this->db()->select()->from($this->table())
            ->where('event_type = ?', $eventType)
            ->where('dedupe_key = ?', $dedupeKey)
            ->order('entity_id DESC')
            ->limit(1);
        $data = $this->db()->fetchRow($select);
        return $data ? self::fromRow($data) : null;
    }

    public function findUnattemptedPending(string $eventType, array $dedupeKeys): array
    {
        $out = [];
        foreach (array_chunk(array_values($dedupeKeys), self::CHUNK) as $chunk) {
            $select = $this->db()->select()->from($this->table())
                ->where('event_type = ?', $eventType)
                ->where('state = ?', StateMachine::STATE_PENDING)
                ->where('attempts = 0')
                ->where('body IS NULL')
                ->where('dedupe_key IN (?)', $chunk);
            foreach ($this->db()->fetchAll($select) as $data) {
                $row = self::fromRow($data);
                // MySQL collations compare case- and trailing-space-insensitively: keep exact matches only.
                if (in_array($row->dedupeKey, $chunk, true)) {
                    $out[(string) $row->dedupeKey] = $row;
                }
            }
        }
        return $out;
    }

    public function touchUnattempted(int $id, ?array $payload, string $observedAt, int $now): bool
    {
        $set = [
            'captures' => new \Magento\Framework\DB\Sql\Expression('captures + 1'),
            'observed_at' => $observedAt,
            'updated_at' => self::time($now),
        ];
        if ($payload !== null) {
            $set['payload'] = json_encode((object) $payload, self::JSON_FLAGS);
        }
        // A current read under InnoDB: blocks on, then sees, a delivery run's committed claim.
        return $this->db()->update($this->table(), $set, [
            'entity_id = ?' => $id,
            'state = ?' => StateMachine::STATE_PENDING,
            'attempts = ?' => 0,
            'body IS NULL',
        ]) === 1;
    }

    public function claimForFirstAttempt(int $id): bool
    {
        return $this->db()->update(
            $this->table(),
            ['body' => ''],
            ['entity_id = ?' => $id, 'body IS NULL']
        ) === 1;
    }

    public function listPendingKeys(array $eventTypes): array
    {
        $select = $this->db()->select()
            ->from($this->table(), ['entity_id', 'event_type', 'dedupe_key'])
            ->where('state = ?', StateMachine::STATE_PENDING)
            ->where('event_type IN (?)', $eventTypes);
        $out = [];
        foreach ($this->db()->fetchAll($select) as $data) {
            $out[] = [
                'id' => (int) $data['entity_id'],
                'event_type' => (string) $data['event_type'],
                'dedupe_key' => $data['dedupe_key'] === null ? null : (string) $data['dedupe_key'],
            ];
        }
        return $out;
    }

    public function markSuperseded(array $plan, int $now): int
    {
        $count = 0;
        foreach ($plan as $id => $winner) {
            $count += $this->db()->update(
                $this->table(),
                [
                    'state' => StateMachine::STATE_SUPERSEDED,
                    'last_error' => 'superseded by #' . $winner,
                    'updated_at' => self::time($now),
                ],
                ['entity_id = ?' => $id, 'state = ?' => StateMachine::STATE_PENDING]
            );
        }
        return $count;
    }

    public function fetchDue(int $now, int $limit): array
    {
        $select = $this->db()->select()->from($this->table())
            ->where('state = ?', StateMachine::STATE_PENDING)
            ->where('next_attempt_at <= ?', self::time($now))
            ->order('entity_id ASC')
            ->limit($limit);
        return array_map([self::class, 'fromRow'], $this->db()->fetchAll($select));
    }

    public function listRows(?string $state, ?string $eventType, int $limit): array
    {
        $select = $this->db()->select()->from($this->table())->order('entity_id DESC')->limit($limit);
        if ($state !== null) {
            $select->where('state = ?', $state);
        }
        if ($eventType !== null) {
            $select->where('event_type = ?', $eventType);
        }
        return array_map([self::class, 'fromRow'], $this->db()->fetchAll($select));
    }

    public function countByState(): array
    {
        $select = $this->db()->select()
            ->from($this->table(), ['state', 'n' => new \Magento\Framework\DB\Sql\Expression('COUNT(*)')])
            ->group('state');
        $out = [];
        foreach ($this->db()->fetchPairs($select) as $state => $n) {
            $out[(string) $state] = (int) $n;
        }
        return $out;
    }

    public function purgeFinished(int $before): int
    {
        return $this->db()->delete($this->table(), [
            'state IN (?)' => [StateMachine::STATE_SENT, StateMachine::STATE_SUPERSEDED],
            'updated_at < ?' => self::time($before),
        ]);
    }
}
