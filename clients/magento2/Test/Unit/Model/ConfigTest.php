<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Model;

use Jlbridge\Connector\Model\Config;
use Magento\Framework\App\Config\ScopeConfigInterface;
use Magento\Framework\Encryption\EncryptorInterface;
use PHPUnit\Framework\TestCase;

final class ConfigTest extends TestCase
{
    /** @param array<string, mixed> $values */
    private function config(array $values): Config
    {
        $scope = $this->createMock(ScopeConfigInterface::class);
        $scope->method('getValue')->willReturnCallback(static fn ($path) => $values[$path] ?? null);
        $scope->method('isSetFlag')->willReturnCallback(static fn ($path) => (bool) ($values[$path] ?? false));
        $encryptor = $this->createMock(EncryptorInterface::class);
        $encryptor->method('decrypt')->willReturnCallback(static fn ($v) => str_replace('ENC:', '', (string) $v));
        return new Config($scope, $encryptor);
    }

    public function testWebhookUrlAppendsThePathOnce(): void
    {
        self::assertSame('https://b.test/webhooks/magento', Config::webhookUrl('https://b.test'));
        self::assertSame('https://b.test/webhooks/magento', Config::webhookUrl(' https://b.test/ '));
        self::assertSame('https://b.test/webhooks/magento', Config::webhookUrl('https://b.test/webhooks/magento'));
        self::assertSame('https://b.test/jl/webhooks/magento', Config::webhookUrl('https://b.test/jl'));
        self::assertNull(Config::webhookUrl(''));
    }

    public function testValuesAndDefaults(): void
    {
        $config = $this->config([
            'jlbridge/general/enabled' => '1',
            'jlbridge/general/endpoint_url' => 'https://b.test',
            'jlbridge/general/signing_secret' => 'ENC:whsec_abc=',
            'jlbridge/general/stock_id' => '2',
            'jlbridge/events/stock_changed' => '1',
            'jlbridge/events/price_changed' => '0',
        ]);
        self::assertTrue($config->isEnabled());
        self::assertSame('https://b.test/webhooks/magento', $config->getWebhookUrl());
        self::assertSame('whsec_abc=', $config->getSigningSecret());
        self::assertSame(2, $config->getStockId());
        self::assertTrue($config->isEventEnabled('stock.changed'));
        self::assertFalse($config->isEventEnabled('price.changed'));
        self::assertFalse($config->isEventEnabled('nope'));
        self::assertSame(10, $config->getHttpTimeoutSeconds());
        self::assertSame(200, $config->getBatchSize());
        self::assertSame(30, $config->getRetentionDays());
    }

    public function testMissingSecretIsNull(): void
    {
        self::assertNull($this->config([])->getSigningSecret());
        self::assertNull($this->config([])->getWebhookUrl());
        self::assertSame(1, $this->config([])->getStockId());
    }
}
