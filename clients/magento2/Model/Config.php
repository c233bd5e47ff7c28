<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model;

use Jlbridge\Connector\Model\Webhook\PayloadBuilder;
use Magento\Framework\App\Config\ScopeConfigInterface;
use Magento\Framework\Encryption\EncryptorInterface;

/**
 * Admin configuration (Stores > Configuration > Services > jlbridge), default scope.
 */
class Config implements SettingsInterface
{
    public const XML_ENABLED = 'jlbridge/general/enabled';
    public const XML_ENDPOINT_URL = 'jlbridge/general/endpoint_url';
    public const XML_SIGNING_SECRET = 'jlbridge/general/signing_secret';
    public const XML_STOCK_ID = 'jlbridge/general/stock_id';
    public const XML_TIMEOUT = 'jlbridge/delivery/timeout';
    public const XML_BATCH_SIZE = 'jlbridge/delivery/batch_size';
    public const XML_RETENTION_DAYS = 'jlbridge/delivery/retention_days';
    public const XML_RESERVATION_FIX = 'jlbridge/reservations/enabled';

    public const WEBHOOK_PATH = '/webhooks/magento';

    private const EVENT_FLAGS = [
        PayloadBuilder::TYPE_STOCK_CHANGED => 'jlbridge/events/stock_changed',
        PayloadBuilder::TYPE_SHIPMENT_CREATED => 'jlbridge/events/shipment_created',
        PayloadBuilder::TYPE_ORDER_CANCELED => 'jlbridge/events/order_canceled',
        PayloadBuilder::TYPE_PRICE_CHANGED => 'jlbridge/events/price_changed',
    ];

    public function __construct(
        private readonly ScopeConfigInterface $scopeConfig,
        private readonly EncryptorInterface $encryptor
    ) {
    }

    public function isEnabled(): bool
    {
        return $this->scopeConfig->isSetFlag(self::XML_ENABLED);
    }

    public function isEventEnabled(string $eventType): bool
    {
        $path = self::EVENT_FLAGS[$eventType] ?? null;
        return $path !== null && $this->scopeConfig->isSetFlag($path);
    }

    public function getWebhookUrl(): ?string
    {
        return self::webhookUrl((string) $this->scopeConfig->getValue(self::XML_ENDPOINT_URL));
    }

    /** "https://bridge.example.com" or ".../webhooks/magento" -> ".../webhooks/magento". */
    public static function webhookUrl(string $configured): ?string
    {
        $base = rtrim(trim($configured), '/');
        if ($base === '') {
            return null;
        }
        return str_ends_with($base, self::WEBHOOK_PATH) ? $base : $base . self::WEBHOOK_PATH;
    }

    public function getSigningSecret(): ?string
    {
        $stored = (string) $this->scopeConfig->getValue(self::XML_SIGNING_SECRET);
        if ($stored === '') {
            return null;
        }
        $secret = trim((string) $this->encryptor->decrypt($stored));
        return $secret === '' ? null : $secret;
    }

    public function getStockId(): int
    {
        return max(1, (int) $this->scopeConfig->getValue(self::XML_STOCK_ID));
    }

    public function getHttpTimeoutSeconds(): int
    {
        $timeout = (int) $this->scopeConfig->getValue(self::XML_TIMEOUT);
        return $timeout > 0 ? min($timeout, 60) : 10;
    }

    public function getBatchSize(): int
    {
        $size = (int) $this->scopeConfig->getValue(self::XML_BATCH_SIZE);
        return $size > 0 ? $size : 200;
    }

    public function getRetentionDays(): int
    {
        $days = (int) $this->scopeConfig->getValue(self::XML_RETENTION_DAYS);
        return $days > 0 ? $days : 30;
    }

    public function isReservationFixEnabled(): bool
    {
        return $this->scopeConfig->isSetFlag(self::XML_RESERVATION_FIX);
    }
}
