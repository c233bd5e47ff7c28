<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Support;

use Jlbridge\Connector\Model\SettingsInterface;

final class StubSettings implements SettingsInterface
{
    public bool $enabled = true;
    /** @var array<string, bool> */
    public array $events = [];
    public ?string $url = 'https://jlbridge.example.test/webhooks/magento';
    public ?string $secret = 'whsec_dGVzdC1rZXktMDEyMzQ1Njc4OQ==';
    public int $stockId = 1;
    public int $timeout = 10;
    public int $batchSize = 100;
    public bool $reservationFix = true;

    public function isEnabled(): bool
    {
        return $this->enabled;
    }

    public function isEventEnabled(string $eventType): bool
    {
        return $this->events[$eventType] ?? true;
    }

    public function getWebhookUrl(): ?string
    {
        return $this->url;
    }

    public function getSigningSecret(): ?string
    {
        return $this->secret;
    }

    public function getStockId(): int
    {
        return $this->stockId;
    }

    public function getHttpTimeoutSeconds(): int
    {
        return $this->timeout;
    }

    public function getBatchSize(): int
    {
        return $this->batchSize;
    }

    public function isReservationFixEnabled(): bool
    {
        return $this->reservationFix;
    }
}
