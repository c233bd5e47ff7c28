<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Outbox;

use Jlbridge\Connector\Model\Outbox\OutboxRow;
use Jlbridge\Connector\Model\Outbox\StateMachine;
use PHPUnit\Framework\TestCase;

final class StateMachineTest extends TestCase
{
    private const NOW = 1700000000;

    private static function row(): OutboxRow
    {
        return OutboxRow::create('stock.changed', 'SKU', ['sku' => 'SKU'], 't', 'msg_1', self::NOW);
    }

    /** @return array<string, array{int, string}> */
    public static function statuses(): array
    {
        return [
            '200 duplicate' => [200, StateMachine::OUTCOME_SENT],
            '202 accepted' => [202, StateMachine::OUTCOME_SENT],
            '204' => [204, StateMachine::OUTCOME_SENT],
            '301 redirect' => [301, StateMachine::OUTCOME_RETRY],
            '400 malformed' => [400, StateMachine::OUTCOME_FAILED],
            '401 secret rotation' => [401, StateMachine::OUTCOME_RETRY],
            '403' => [403, StateMachine::OUTCOME_FAILED],
            '404' => [404, StateMachine::OUTCOME_FAILED],
            '408 timeout' => [408, StateMachine::OUTCOME_RETRY],
            '413 too large' => [413, StateMachine::OUTCOME_FAILED],
            '415 not json' => [415, StateMachine::OUTCOME_FAILED],
            '422 unknown type' => [422, StateMachine::OUTCOME_FAILED],
            '429 rate limited' => [429, StateMachine::OUTCOME_RETRY],
            '500' => [500, StateMachine::OUTCOME_RETRY],
            '502' => [502, StateMachine::OUTCOME_RETRY],
            '503 not stored' => [503, StateMachine::OUTCOME_RETRY],
        ];
    }

    /** @dataProvider statuses */
    public function testOutcomeForStatus(int $status, string $outcome): void
    {
        self::assertSame($outcome, StateMachine::outcomeForStatus($status));
    }

    public function testBackoffDoublesAndIsCapped(): void
    {
        $m = new StateMachine();
        self::assertSame([30, 60, 120, 240, 480, 900, 900], array_map([$m, 'backoffSeconds'], [1, 2, 3, 4, 5, 6, 7]));
        self::assertSame(900, $m->backoffSeconds(1000));
        self::assertSame(30, $m->backoffSeconds(0));
    }

    public function testSentClearsError(): void
    {
        $m = new StateMachine();
        $row = self::row();
        $m->recordAttempt($row, 503, 'HTTP 503', self::NOW);
        self::assertSame(StateMachine::OUTCOME_SENT, $m->recordAttempt($row, 202, null, self::NOW + 30));
        self::assertSame(StateMachine::STATE_SENT, $row->state);
        self::assertSame(2, $row->attempts);
        self::assertNull($row->lastError);
        self::assertSame(202, $row->lastStatus);
        self::assertSame(self::NOW + 30, $row->sentAt);
    }

    public function testRetryKeepsRowPendingWithBackoff(): void
    {
        $m = new StateMachine();
        $row = self::row();
        self::assertSame(StateMachine::OUTCOME_RETRY, $m->recordAttempt($row, 500, 'HTTP 500', self::NOW));
        self::assertSame(StateMachine::STATE_PENDING, $row->state);
        self::assertSame(self::NOW + 30, $row->nextAttemptAt);
        $m->recordAttempt($row, null, 'no response: timeout', self::NOW + 30);
        self::assertSame(self::NOW + 30 + 60, $row->nextAttemptAt);
        self::assertSame('no response: timeout', $row->lastError);
        self::assertNull($row->lastStatus);
    }

    public function testRowSurvivesHoursOfOutage(): void
    {
        $m = new StateMachine();
        $row = self::row();
        $now = self::NOW;
        for ($i = 0; $i < 40; $i++) { // about nine hours of failures
            $m->recordAttempt($row, null, 'connection refused', $now);
            self::assertSame(StateMachine::STATE_PENDING, $row->state);
            self::assertLessThanOrEqual(900, $row->nextAttemptAt - $now);
            $now = $row->nextAttemptAt;
        }
        self::assertGreaterThan(8 * 3600, $now - self::NOW);
        self::assertSame(StateMachine::OUTCOME_SENT, $m->recordAttempt($row, 202, null, $now));
    }

    public function testRetryAfterIsHonouredUpToTheCap(): void
    {
        $m = new StateMachine();
        $row = self::row();
        $m->recordAttempt($row, 429, 'HTTP 429', self::NOW, 120);
        self::assertSame(self::NOW + 120, $row->nextAttemptAt);
        $m->recordAttempt($row, 429, 'HTTP 429', self::NOW, 86400);
        self::assertSame(self::NOW + 900, $row->nextAttemptAt);
    }

    public function testPermanentFailure(): void
    {
        $m = new StateMachine();
        $row = self::row();
        self::assertSame(StateMachine::OUTCOME_FAILED, $m->recordAttempt($row, 400, 'HTTP 400: missing field', self::NOW));
        self::assertSame(StateMachine::STATE_FAILED, $row->state);
        self::assertSame('HTTP 400: missing field', $row->lastError);
    }

    public function testFailedRowCanBeRequeuedByOperator(): void
    {
        $m = new StateMachine();
        $row = self::row();
        $m->recordAttempt($row, 422, null, self::NOW);
        self::assertSame('HTTP 422', $row->lastError);
        $m->requeue($row, self::NOW + 5);
        self::assertSame(StateMachine::STATE_PENDING, $row->state);
        self::assertSame(self::NOW + 5, $row->nextAttemptAt);
        self::assertSame(1, $row->attempts);
    }

    public function testSentIsTerminal(): void
    {
        $m = new StateMachine();
        $row = self::row();
        $m->recordAttempt($row, 202, null, self::NOW);
        $this->expectException(\LogicException::class);
        $m->recordAttempt($row, 500, null, self::NOW);
    }

    public function testTransitionTable(): void
    {
        self::assertTrue(StateMachine::canTransition('pending', 'sent'));
        self::assertTrue(StateMachine::canTransition('pending', 'superseded'));
        self::assertTrue(StateMachine::canTransition('failed', 'pending'));
        self::assertFalse(StateMachine::canTransition('failed', 'sent'));
        self::assertFalse(StateMachine::canTransition('sent', 'pending'));
        self::assertFalse(StateMachine::canTransition('superseded', 'pending'));
        self::assertFalse(StateMachine::canTransition('nonsense', 'pending'));
    }

    public function testSupersede(): void
    {
        $m = new StateMachine();
        $row = self::row();
        $m->supersede($row, 42, self::NOW);
        self::assertSame(StateMachine::STATE_SUPERSEDED, $row->state);
        self::assertSame('superseded by #42', $row->lastError);
    }

    public function testLongErrorsAreTruncated(): void
    {
        $m = new StateMachine();
        $row = self::row();
        $m->recordAttempt($row, 500, str_repeat('x', 5000), self::NOW);
        self::assertLessThan(1100, strlen((string) $row->lastError));
    }
}
