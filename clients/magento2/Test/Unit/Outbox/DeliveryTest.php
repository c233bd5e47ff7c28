<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Outbox;

use Jlbridge\Connector\Model\Http\HttpResponse;
use Jlbridge\Connector\Model\Http\HttpTransportException;
use Jlbridge\Connector\Model\Outbox\Delivery;
use Jlbridge\Connector\Model\Outbox\InMemoryStorage;
use Jlbridge\Connector\Model\Outbox\OutboxRow;
use Jlbridge\Connector\Model\Outbox\StateMachine;
use Jlbridge\Connector\Model\Webhook\Signer;
use Jlbridge\Connector\Test\Support\FixedClock;
use Jlbridge\Connector\Test\Support\StubHttpClient;
use Jlbridge\Connector\Test\Support\StubSalableQty;
use Jlbridge\Connector\Test\Support\StubSettings;
use PHPUnit\Framework\TestCase;

final class DeliveryTest extends TestCase
{
    private const NOW = 1700000000;

    private InMemoryStorage $storage;
    private StubSettings $settings;
    private FixedClock $clock;
    private StubSalableQty $qty;

    protected function setUp(): void
    {
        $this->storage = new InMemoryStorage();
        $this->settings = new StubSettings();
        $this->clock = new FixedClock(self::NOW);
        $this->qty = new StubSalableQty(['TEE-M-RED' => 12.0, 'MUG' => 3]);
    }

    private function delivery(StubHttpClient $http): Delivery
    {
        return new Delivery($this->storage, $http, $this->settings, $this->qty, $this->clock);
    }

    private function addRow(string $type, ?string $key, array $payload, string $observedAt = '2023-11-14T22:00:00.000000Z'): OutboxRow
    {
        $row = OutboxRow::create($type, $key, $payload, $observedAt, OutboxRow::newWebhookId(), self::NOW - 60);
        $this->storage->insert($row);
        return $row;
    }

    private function addCancel(string $ref = '1234-A'): OutboxRow
    {
        return $this->addRow('order.canceled', 'order:7', [
            'order_increment_id' => '000000007',
            'marketplace_order_reference' => $ref,
        ]);
    }

    public function testSuccessMarksSentAndSignsPerStandardWebhooks(): void
    {
        $row = $this->addCancel();
        $http = new StubHttpClient([new HttpResponse(202, '{"id":"1","status":"accepted"}')]);
        $report = $this->delivery($http)->run();

        self::assertSame(1, $report->sent);
        $stored = $this->storage->get((int) $row->id);
        self::assertSame(StateMachine::STATE_SENT, $stored->state);
        self::assertSame(202, $stored->lastStatus);
        self::assertSame(1, $stored->attempts);

        self::assertCount(1, $http->requests);
        $request = $http->requests[0];
        self::assertSame('https://jlbridge.example.test/webhooks/magento', $request['url']);
        self::assertSame(10, $request['timeout']);
        self::assertSame($row->webhookId, $request['headers']['webhook-id']);
        self::assertSame((string) self::NOW, $request['headers']['webhook-timestamp']);
        self::assertSame('application/json', $request['headers']['Content-Type']);
        self::assertSame(
            '{"type":"order.canceled","timestamp":"2023-11-14T22:00:00.000000Z","data":'
            . '{"order_increment_id":"000000007","marketplace_order_reference":"1234-A"}}',
            $request['body']
        );
        // Verified independently with a hand-written HMAC.
        $key = base64_decode('dGVzdC1rZXktMDEyMzQ1Njc4OQ==');
        $expected = 'v1,' . base64_encode(hash_hmac(
            'sha256',
            $row->webhookId . '.' . self::NOW . '.' . $request['body'],
            $key,
            true
        ));
        self::assertSame($expected, $request['headers']['webhook-signature']);
        self::assertTrue((new Signer())->verify(
            [$this->settings->secret],
            $request['headers']['webhook-id'],
            $request['headers']['webhook-timestamp'],
            $request['headers']['webhook-signature'],
            $request['body'],
            self::NOW
        ));
    }

    public function testDuplicate200CountsAsSent(): void
    {
        $row = $this->addCancel();
        $this->delivery(new StubHttpClient([new HttpResponse(200, '{"status":"duplicate"}')]))->run();
        self::assertSame(StateMachine::STATE_SENT, $this->storage->get((int) $row->id)->state);
    }

    public function testServerErrorKeepsPendingWithBackoffAndRetrySendsSameBodyAndId(): void
    {
        $row = $this->addCancel();
        $http = new StubHttpClient([
            new HttpResponse(503, '{"error":{"code":"store_failed","message":"db down"}}'),
            new HttpResponse(202),
        ]);
        $delivery = $this->delivery($http);

        $report = $delivery->run();
        self::assertSame(1, $report->retrying);
        $stored = $this->storage->get((int) $row->id);
        self::assertSame(StateMachine::STATE_PENDING, $stored->state);
        self::assertSame(self::NOW + 30, $stored->nextAttemptAt);
        self::assertStringStartsWith('HTTP 503: {"error"', (string) $stored->lastError);

        // not due yet
        $delivery->run();
        self::assertCount(1, $http->requests);

        $this->clock->advance(30);
        $delivery->run();
        self::assertCount(2, $http->requests);
        self::assertSame(StateMachine::STATE_SENT, $this->storage->get((int) $row->id)->state);
        self::assertSame($http->requests[0]['body'], $http->requests[1]['body']);
        self::assertSame($http->requests[0]['headers']['webhook-id'], $http->requests[1]['headers']['webhook-id']);
        self::assertSame((string) (self::NOW + 30), $http->requests[1]['headers']['webhook-timestamp']);
        self::assertNotSame(
            $http->requests[0]['headers']['webhook-signature'],
            $http->requests[1]['headers']['webhook-signature']
        );
    }

    public function testBadRequestFailsPermanently(): void
    {
        $row = $this->addCancel();
        $report = $this->delivery(new StubHttpClient([
            new HttpResponse(400, '{"error":{"code":"missing_field","message":"data.items"}}'),
        ]))->run();
        self::assertSame(1, $report->failed);
        $stored = $this->storage->get((int) $row->id);
        self::assertSame(StateMachine::STATE_FAILED, $stored->state);
        self::assertSame(400, $stored->lastStatus);
        self::assertStringContainsString('missing_field', (string) $stored->lastError);
        $this->clock->advance(3600);
        $http = new StubHttpClient();
        $this->delivery($http)->run();
        self::assertCount(0, $http->requests, 'failed rows are not retried automatically');
    }

    public function testUnauthorizedIsRetried(): void
    {
        $row = $this->addCancel();
        $this->delivery(new StubHttpClient([new HttpResponse(401, '{"error":{"code":"bad_signature"}}')]))->run();
        self::assertSame(StateMachine::STATE_PENDING, $this->storage->get((int) $row->id)->state);
    }

    public function testTimeoutKeepsPending(): void
    {
        $row = $this->addCancel();
        $report = $this->delivery(new StubHttpClient([
            new HttpTransportException('Operation timed out after 10001 milliseconds'),
        ]))->run();
        self::assertSame(1, $report->retrying);
        $stored = $this->storage->get((int) $row->id);
        self::assertSame(StateMachine::STATE_PENDING, $stored->state);
        self::assertNull($stored->lastStatus);
        self::assertSame('no response: Operation timed out after 10001 milliseconds', $stored->lastError);
        self::assertSame(self::NOW + 30, $stored->nextAttemptAt);
    }

    public function testUnexpectedExceptionKeepsPending(): void
    {
        $row = $this->addCancel();
        $this->delivery(new StubHttpClient([new \RuntimeException('boom')]))->run();
        $stored = $this->storage->get((int) $row->id);
        self::assertSame(StateMachine::STATE_PENDING, $stored->state);
        self::assertStringContainsString('boom', (string) $stored->lastError);
    }

    public function testRunStopsWhenEndpointLooksDown(): void
    {
        for ($i = 0; $i < 10; $i++) {
            $this->addCancel();
        }
        $http = new StubHttpClient([], new HttpTransportException('Connection refused'));
        $report = $this->delivery($http)->run();
        self::assertCount(Delivery::MAX_CONSECUTIVE_RETRIES, $http->requests);
        self::assertNotNull($report->stoppedReason);
        self::assertSame(10, $this->storage->countByState()['pending']);
    }

    public function testHoursOfOutageThenRecoveryDeliversEverything(): void
    {
        $ids = [];
        for ($i = 0; $i < 5; $i++) {
            $ids[] = $this->addCancel('ref-' . $i)->id;
        }
        $down = new StubHttpClient([], new HttpTransportException('Connection refused'));
        for ($minute = 0; $minute < 6 * 60; $minute++) { // cron every minute for six hours
            $this->delivery($down)->run();
            $this->clock->advance(60);
        }
        self::assertSame(['pending' => 5], $this->storage->countByState());
        foreach ($ids as $id) {
            self::assertLessThanOrEqual(self::NOW + 7 * 3600, $this->storage->get((int) $id)->nextAttemptAt);
        }
        $this->clock->advance(900);
        $up = new StubHttpClient();
        $this->delivery($up)->run();
        self::assertSame(['sent' => 5], $this->storage->countByState());
    }

    public function testStockRowReadsSalableQtyAtFirstSendAndFreezesBody(): void
    {
        $row = $this->addRow('stock.changed', 'TEE-M-RED', ['sku' => 'TEE-M-RED']);
        $http = new StubHttpClient([new HttpResponse(500), new HttpResponse(202)]);
        $this->delivery($http)->run();
        self::assertSame(
            '{"type":"stock.changed","timestamp":"2023-11-14T22:13:20.000000Z","data":{"items":'
            . '[{"sku":"TEE-M-RED","salable_qty":12}]}}',
            $http->requests[0]['body']
        );
        // The quantity changes meanwhile, but a retry resends the frozen body.
        $this->qty->qty['TEE-M-RED'] = 4;
        $this->clock->advance(30);
        $this->delivery($http)->run();
        self::assertSame($http->requests[0]['body'], $http->requests[1]['body']);
        self::assertSame(StateMachine::STATE_SENT, $this->storage->get((int) $row->id)->state);
    }

    public function testRowClaimedByACrashedRunIsRebuiltAndSent(): void
    {
        $row = $this->addRow('stock.changed', 'MUG', ['sku' => 'MUG']);
        $this->storage->claimForFirstAttempt((int) $row->id); // body '' left by a crash
        $http = new StubHttpClient();
        $this->delivery($http)->run();
        self::assertStringContainsString('"salable_qty":3', $http->requests[0]['body']);
        self::assertSame(StateMachine::STATE_SENT, $this->storage->get((int) $row->id)->state);
    }

    public function testFirstAttemptClaimsTheRowBeforeBuilding(): void
    {
        $row = $this->addRow('stock.changed', 'MUG', ['sku' => 'MUG']);
        $http = new StubHttpClient([new HttpResponse(503)]);
        $this->delivery($http)->run();
        $stored = $this->storage->get((int) $row->id);
        self::assertSame($http->requests[0]['body'], $stored->body);
        self::assertFalse($this->storage->claimForFirstAttempt((int) $row->id));
    }

    public function testStockWithoutKnownQtyOmitsSalableQty(): void
    {
        $this->qty->qty['CONFIG'] = new \RuntimeException('Can\'t check requested quantity');
        $this->addRow('stock.changed', 'CONFIG', ['sku' => 'CONFIG']);
        $this->addRow('stock.changed', 'NOPE', ['sku' => 'NOPE']);
        $http = new StubHttpClient();
        $this->delivery($http)->run();
        self::assertStringEndsWith('"data":{"items":[{"sku":"CONFIG"}]}}', $http->requests[0]['body']);
        self::assertStringEndsWith('"data":{"items":[{"sku":"NOPE"}]}}', $http->requests[1]['body']);
    }

    public function testPendingStockRowsOfOneSkuAreCoalescedLatestWins(): void
    {
        $old = $this->addRow('stock.changed', 'MUG', ['sku' => 'MUG']);
        $other = $this->addRow('stock.changed', 'TEE-M-RED', ['sku' => 'TEE-M-RED']);
        $new = $this->addRow('stock.changed', 'MUG', ['sku' => 'MUG']);
        $http = new StubHttpClient();
        $report = $this->delivery($http)->run();
        self::assertSame(1, $report->superseded);
        self::assertSame(2, $report->sent);
        self::assertCount(2, $http->requests);
        self::assertSame(StateMachine::STATE_SUPERSEDED, $this->storage->get((int) $old->id)->state);
        self::assertSame('superseded by #' . $new->id, $this->storage->get((int) $old->id)->lastError);
        self::assertSame(StateMachine::STATE_SENT, $this->storage->get((int) $new->id)->state);
        self::assertSame(StateMachine::STATE_SENT, $this->storage->get((int) $other->id)->state);
    }

    public function testAttemptedStockRowIsSupersededByNewerObservation(): void
    {
        $old = $this->addRow('stock.changed', 'MUG', ['sku' => 'MUG']);
        $http = new StubHttpClient([new HttpResponse(503)]);
        $this->delivery($http)->run();
        $new = $this->addRow('stock.changed', 'MUG', ['sku' => 'MUG']);
        $this->qty->qty['MUG'] = 1;
        $this->delivery($http)->run();
        self::assertSame(StateMachine::STATE_SUPERSEDED, $this->storage->get((int) $old->id)->state);
        self::assertSame(StateMachine::STATE_SENT, $this->storage->get((int) $new->id)->state);
        self::assertStringContainsString('"salable_qty":1}', $http->requests[1]['body']);
    }

    public function testNothingSentWhenDisabledOrNotConfigured(): void
    {
        $row = $this->addCancel();
        $http = new StubHttpClient();

        $this->settings->enabled = false;
        self::assertStringContainsString('disabled', (string) $this->delivery($http)->run()->skippedReason);

        $this->settings->enabled = true;
        $this->settings->url = null;
        self::assertStringContainsString('endpoint', (string) $this->delivery($http)->run()->skippedReason);

        $this->settings->url = 'https://x.test/webhooks/magento';
        $this->settings->secret = '';
        self::assertStringContainsString('secret', (string) $this->delivery($http)->run()->skippedReason);

        $this->settings->secret = 'whsec_***';
        self::assertStringContainsString('invalid', (string) $this->delivery($http)->run()->skippedReason);

        self::assertCount(0, $http->requests);
        self::assertSame(StateMachine::STATE_PENDING, $this->storage->get((int) $row->id)->state);
    }

    public function testBatchLimitIsRespected(): void
    {
        for ($i = 0; $i < 5; $i++) {
            $this->addCancel();
        }
        $http = new StubHttpClient();
        $this->delivery($http)->run(2);
        self::assertCount(2, $http->requests);
        self::assertSame(['sent' => 2, 'pending' => 3], $this->storage->countByState());
    }

    public function testRowsGoOutOldestFirst(): void
    {
        $first = $this->addCancel('first');
        $second = $this->addCancel('second');
        $http = new StubHttpClient();
        $this->delivery($http)->run();
        self::assertSame($first->webhookId, $http->requests[0]['headers']['webhook-id']);
        self::assertSame($second->webhookId, $http->requests[1]['headers']['webhook-id']);
    }

    public function testUnbuildableBodyFailsVisibly(): void
    {
        $row = $this->addRow('price.changed', 'A', ['items' => [['sku' => 'A', 'price' => '1.00']]]);
        $broken = $this->storage->get((int) $row->id);
        $broken->eventType = 'price.exploded';
        $this->storage->update($broken);
        $report = $this->delivery(new StubHttpClient())->run();
        self::assertSame(1, $report->failed);
        $stored = $this->storage->get((int) $row->id);
        self::assertSame(StateMachine::STATE_FAILED, $stored->state);
        self::assertStringContainsString('cannot build body', (string) $stored->lastError);
    }
}
