<?php
/**
 * Outbox row states, allowed transitions, delivery outcome rules and the backoff schedule.
 * Pure PHP, no Magento.
 *
 * Delivery rule (HTTP status of the POST to jlbridge):
 *  - 2xx (202 accepted, 200 duplicate)                     -> sent
 *  - 401 (secret being rotated), 408, 429, 3xx, 5xx        -> pending, retried with backoff
 *  - other 4xx (400, 404, 413, 415, 422, …)                -> failed: the same body would fail again;
 *                                                             kept with its error, retried only by hand
 *  - no response (connection refused, DNS, timeout, TLS)   -> pending, retried with backoff
 * Backoff: 30 s, 60 s, 120 s … doubling, capped at 15 min; a pending row is never dropped.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Outbox;

final class StateMachine
{
    public const STATE_PENDING = 'pending';
    public const STATE_SENT = 'sent';
    public const STATE_FAILED = 'failed';
    /** Replaced by a newer row for the same key (stock or price of one SKU): latest wins. */
    public const STATE_SUPERSEDED = 'superseded';

    public const STATES = [self::STATE_PENDING, self::STATE_SENT, self::STATE_FAILED, self::STATE_SUPERSEDED];

    public const OUTCOME_SENT = 'sent';
    public const OUTCOME_RETRY = 'retry';
    public const OUTCOME_FAILED = 'failed';

    private const TRANSITIONS = [
        self::STATE_PENDING => [self::STATE_PENDING, self::STATE_SENT, self::STATE_FAILED, self::STATE_SUPERSEDED],
        // a failed row can be put back by an operator (jlbridge:outbox:retry)
        self::STATE_FAILED => [self::STATE_PENDING],
        self::STATE_SENT => [],
        self::STATE_SUPERSEDED => [],
    ];

    private int $baseDelay;
    private int $maxDelay;

    public function __construct(int $baseDelaySeconds = 30, int $maxDelaySeconds = 900)
    {
        if ($baseDelaySeconds < 1 || $maxDelaySeconds < $baseDelaySeconds) {
            throw new \InvalidArgumentException('invalid backoff bounds');
        }
        $this->baseDelay = $baseDelaySeconds;
        $this->maxDelay = $maxDelaySeconds;
    }

    public static function canTransition(string $from, string $to): bool
    {
        return in_array($to, self::TRANSITIONS[$from] ?? [], true);
    }

    public static function assertTransition(string $from, string $to): void
    {
        if (!self::canTransition($from, $to)) {
            throw new \LogicException(sprintf('outbox row cannot go from %s to %s', $from, $to));
        }
    }

    public static function outcomeForStatus(int $status): string
    {
        if ($status >= 200 && $status < 300) {
            return self::OUTCOME_SENT;
        }
        if ($status === 401 || $status === 408 || $status === 429) {
            return self::OUTCOME_RETRY;
        }
        if ($status >= 400 && $status < 500) {
            return self::OUTCOME_FAILED;
        }
        return self::OUTCOME_RETRY;
    }

    /** Delay before the next attempt after `$attempts` failed attempts (1 = first failure). */
    public function backoffSeconds(int $attempts): int
    {
        $exponent = max(0, $attempts - 1);
        if ($exponent >= 30) {
            return $this->maxDelay;
        }
        return min($this->maxDelay, $this->baseDelay * (2 ** $exponent));
    }

    /**
     * Record one delivery attempt on the row.
     *
     * @param int|null $status HTTP status, null when there was no response
     * @param int|null $retryAfter seconds from a Retry-After header, honoured up to the cap
     */
    public function recordAttempt(OutboxRow $row, ?int $status, ?string $error, int $now, ?int $retryAfter = null): string
    {
        $outcome = $status === null ? self::OUTCOME_RETRY : self::outcomeForStatus($status);
        $target = match ($outcome) {
            self::OUTCOME_SENT => self::STATE_SENT,
            self::OUTCOME_FAILED => self::STATE_FAILED,
            default => self::STATE_PENDING,
        };
        self::assertTransition($row->state, $target);
        $row->attempts++;
        $row->state = $target;
        $row->lastStatus = $status;
        $row->updatedAt = $now;
        if ($outcome === self::OUTCOME_SENT) {
            $row->sentAt = $now;
            $row->lastError = null;
            return $outcome;
        }
        $row->lastError = self::truncate($error ?? ('HTTP ' . $status));
        if ($outcome === self::OUTCOME_RETRY) {
            $delay = $this->backoffSeconds($row->attempts);
            if ($retryAfter !== null && $retryAfter > $delay) {
                $delay = min($this->maxDelay, $retryAfter);
            }
            $row->nextAttemptAt = $now + $delay;
        }
        return $outcome;
    }

    public function supersede(OutboxRow $row, int $byId, int $now): void
    {
        self::assertTransition($row->state, self::STATE_SUPERSEDED);
        $row->state = self::STATE_SUPERSEDED;
        $row->lastError = 'superseded by #' . $byId;
        $row->updatedAt = $now;
    }

    /** Operator retry of a failed row: due now, attempts kept for the record. */
    public function requeue(OutboxRow $row, int $now): void
    {
        self::assertTransition($row->state, self::STATE_PENDING);
        $row->state = self::STATE_PENDING;
        $row->nextAttemptAt = $now;
        $row->updatedAt = $now;
    }

    private static function truncate(string $error): string
    {
        return strlen($error) > 1000 ? substr($error, 0, 1000) . '…' : $error;
    }
}
