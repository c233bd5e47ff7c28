<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model;

/**
 * What the capture and delivery code needs from the configuration. Implemented by Config
 * (Magento scope config); stubbed in tests.
 */
interface SettingsInterface
{
    /** Master switch: capture and delivery both off when false. */
    public function isEnabled(): bool;

    /** Whether events of this webhook type are captured. */
    public function isEventEnabled(string $eventType): bool;

    /** Full URL of the receiver: {base}/webhooks/magento, or null when not configured. */
    public function getWebhookUrl(): ?string;

    /** Decrypted `whsec_…` signing secret, or null when not configured. */
    public function getSigningSecret(): ?string;

    /** MSI stock whose salable quantity is reported. */
    public function getStockId(): int;

    public function getHttpTimeoutSeconds(): int;

    public function getBatchSize(): int;

    public function isReservationFixEnabled(): bool;
}
