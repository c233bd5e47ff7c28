<?php
/**
 * Sends due outbox rows to jlbridge as Standard Webhooks-signed POSTs.
 *
 * - Rows are sent oldest first; stock and price rows of one SKU are coalesced first (latest wins).
 * - The body is built and frozen at the first attempt (stock: salable qty read at that moment,
 *   `timestamp` = that moment) and resent byte for byte on retries, with the same webhook-id and
 *   a fresh webhook-timestamp and signature.
 * - Outcome per StateMachine: 2xx sent, retryable errors back to pending with backoff, other 4xx failed.
 * - After MAX_CONSECUTIVE_RETRIES retryable outcomes in a row the run stops: the endpoint is
 *   down, and the remaining rows simply wait for the next run (never dropped).
 *
 * Pure PHP: Magento parts come in through the interfaces.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Outbox;

use Jlbridge\Connector\Model\ClockInterface;
use Jlbridge\Connector\Model\Http\HttpClientInterface;
use Jlbridge\Connector\Model\Http\HttpTransportException;
use Jlbridge\Connector\Model\SettingsInterface;
use Jlbridge\Connector\Model\Stock\SalableQtyResolverInterface;
use Jlbridge\Connector\Model\Webhook\PayloadBuilder;
use Jlbridge\Connector\Model\Webhook\Signer;

class Delivery
{
    public const MAX_CONSECUTIVE_RETRIES = 3;
    public const USER_AGENT = 'jlbridge-magento2/1.0';

    private readonly Signer $signer;
    private readonly PayloadBuilder $payloads;
    private readonly StateMachine $stateMachine;
    private readonly StockCoalescer $coalescer;

    public function __construct(
        private readonly OutboxStorageInterface $storage,
        private readonly HttpClientInterface $http,
        private readonly SettingsInterface $settings,
        private readonly SalableQtyResolverInterface $salableQty,
        private readonly ClockInterface $clock,
        ?Signer $signer = null,
        ?PayloadBuilder $payloads = null,
        ?StateMachine $stateMachine = null,
        ?StockCoalescer $coalescer = null
    ) {
        // Optional collaborators default to plain instances (no `new` in initializers, which
        // Magento's compiled DI cannot represent).
        $this->signer = $signer ?? new Signer();
        $this->payloads = $payloads ?? new PayloadBuilder();
        $this->stateMachine = $stateMachine ?? new StateMachine();
        $this->coalescer = $coalescer ?? new StockCoalescer();
    }

    public function run(?int $limit = null, float $timeBudgetSeconds = 50.0): DeliveryReport
    {
        $report = new DeliveryReport();
        if (!$this->settings->isEnabled()) {
            $report->skippedReason = 'module disabled (jlbridge/general/enabled)';
            return $report;
        }
        $url = $this->settings->getWebhookUrl();
        if ($url === null || $url === '') {
            $report->skippedReason = 'endpoint URL not configured (jlbridge/general/endpoint_url)';
            return $report;
        }
        $secret = $this->settings->getSigningSecret();
        if ($secret === null || $secret === '') {
            $report->skippedReason = 'signing secret not configured (jlbridge/general/signing_secret)';
            return $report;
        }
        try {
            Signer::decodeSecret($secret);
        } catch (\InvalidArgumentException $e) {
            $report->skippedReason = 'signing secret invalid: ' . $e->getMessage();
            return $report;
        }

        $now = $this->clock->now()->getTimestamp();
        $plan = $this->coalescer->plan($this->storage->listPendingKeys(StockCoalescer::COALESCED_TYPES));
        if ($plan !== []) {
            $report->superseded = $this->storage->markSuperseded($plan, $now);
        }

        $started = microtime(true);
        $consecutiveRetries = 0;
        $rows = $this->storage->fetchDue($now, $limit ?? $this->settings->getBatchSize());
        foreach ($rows as $row) {
            if (microtime(true) - $started > $timeBudgetSeconds) {
                $report->stoppedReason = 'time budget used';
                break;
            }
            $outcome = $this->deliver($row, $url, $secret, $report);
            if ($outcome === StateMachine::OUTCOME_RETRY) {
                if (++$consecutiveRetries >= self::MAX_CONSECUTIVE_RETRIES) {
                    $report->stoppedReason = sprintf(
                        '%d retryable errors in a row, endpoint looks down',
                        $consecutiveRetries
                    );
                    break;
                }
            } else {
                $consecutiveRetries = 0;
            }
        }
        return $report;
    }

    private function deliver(OutboxRow $row, string $url, string $secret, DeliveryReport $report): string
    {
        if ($row->body === null || $row->body === '') {
            // Claim first (committed), then re-read: the payload is final from here on.
            $this->storage->claimForFirstAttempt((int) $row->id);
            $row = $this->storage->get((int) $row->id) ?? $row;
            if ($row->state !== StateMachine::STATE_PENDING) {
                return StateMachine::OUTCOME_SENT; // nothing to do: changed meanwhile
            }
        }
        if ($row->body === null || $row->body === '') {
            try {
                $row->body = $this->buildBody($row);
            } catch (\Throwable $e) {
                // A body that cannot be built will never be sendable: fail it visibly.
                $now = $this->clock->now()->getTimestamp();
                $this->stateMachine->recordAttempt($row, 400, 'cannot build body: ' . $e->getMessage(), $now);
                $row->lastStatus = null;
                $this->storage->update($row);
                $report->failed++;
                $report->errors[] = '#' . $row->id . ': ' . $row->lastError;
                return StateMachine::OUTCOME_FAILED;
            }
        }
        $timestamp = $this->clock->now()->getTimestamp();
        $headers = [
            'Content-Type' => 'application/json',
            'User-Agent' => self::USER_AGENT,
            'webhook-id' => $row->webhookId,
            'webhook-timestamp' => (string) $timestamp,
            'webhook-signature' => $this->signer->sign($secret, $row->webhookId, $timestamp, $row->body),
        ];
        $status = null;
        $error = null;
        $retryAfter = null;
        try {
            $response = $this->http->post($url, $headers, $row->body, $this->settings->getHttpTimeoutSeconds());
            $status = $response->status;
            $retryAfter = $response->retryAfter;
            if ($status < 200 || $status >= 300) {
                $error = 'HTTP ' . $status . self::errorDetail($response->body);
            }
        } catch (HttpTransportException $e) {
            $error = 'no response: ' . $e->getMessage();
        } catch (\Throwable $e) {
            $error = 'send error: ' . get_class($e) . ': ' . $e->getMessage();
        }
        $outcome = $this->stateMachine->recordAttempt(
            $row,
            $status,
            $error,
            $this->clock->now()->getTimestamp(),
            $retryAfter
        );
        $this->storage->update($row);
        match ($outcome) {
            StateMachine::OUTCOME_SENT => $report->sent++,
            StateMachine::OUTCOME_FAILED => $report->failed++,
            default => $report->retrying++,
        };
        if ($outcome !== StateMachine::OUTCOME_SENT) {
            $report->errors[] = '#' . $row->id . ': ' . $row->lastError;
        }
        return $outcome;
    }

    private function buildBody(OutboxRow $row): string
    {
        if ($row->eventType === PayloadBuilder::TYPE_STOCK_CHANGED) {
            $sku = (string) ($row->payload['sku'] ?? $row->dedupeKey);
            try {
                $qty = $this->salableQty->getSalableQty($sku);
            } catch (\Throwable $e) {
                $qty = null; // jlbridge then reads the quantity from Magento itself
            }
            // The observation is the read just made: that is what `timestamp` orders.
            $row->observedAt = PayloadBuilder::formatTimestamp($this->clock->now());
            $item = ['sku' => $sku];
            if ($qty !== null) {
                $item['salable_qty'] = $qty;
            }
            return $this->payloads->envelope($row->eventType, $row->observedAt, $this->payloads->stockChangedData([$item]));
        }
        return $this->payloads->envelope($row->eventType, $row->observedAt, $row->payload);
    }

    /** A short, single-line excerpt of the receiver's error body. */
    private static function errorDetail(string $body): string
    {
        $body = trim(preg_replace('/\s+/', ' ', $body) ?? '');
        if ($body === '') {
            return '';
        }
        return ': ' . (strlen($body) > 300 ? substr($body, 0, 300) . '…' : $body);
    }
}
