<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Model;

use Jlbridge\Connector\Model\JohnLewisOrder;
use Jlbridge\Connector\Model\Stock\MsiSalableQtyResolver;
use Jlbridge\Connector\Test\Support\StubSettings;
use Magento\InventorySalesApi\Api\GetProductSalableQtyInterface;
use PHPUnit\Framework\TestCase;

final class JohnLewisOrderTest extends TestCase
{
    public function testRecognition(): void
    {
        self::assertSame('jlbridge_marketplace', JohnLewisOrder::PAYMENT_METHOD_CODE);
        self::assertTrue(JohnLewisOrder::isCreatedByJlbridge('jlbridge_marketplace'));
        self::assertFalse(JohnLewisOrder::isCreatedByJlbridge('checkmo'));
        self::assertTrue(JohnLewisOrder::isJohnLewisOrder('jlbridge_marketplace', null));
        self::assertTrue(JohnLewisOrder::isJohnLewisOrder('checkmo', '1234-A'));
        self::assertFalse(JohnLewisOrder::isJohnLewisOrder('checkmo', ' '));
        self::assertFalse(JohnLewisOrder::isJohnLewisOrder(null, null));
    }

    public function testMarketplaceReference(): void
    {
        self::assertSame('1234-A', JohnLewisOrder::marketplaceReference('1234-A', '000000001'));
        self::assertSame('000000001', JohnLewisOrder::marketplaceReference(null, '000000001'));
    }

    public function testPaymentConfigUsesTheConstant(): void
    {
        $config = (string) file_get_contents(dirname(__DIR__, 3) . '/etc/config.xml');
        $payment = (string) file_get_contents(dirname(__DIR__, 3) . '/etc/payment.xml');
        self::assertStringContainsString('<' . JohnLewisOrder::PAYMENT_METHOD_CODE . '>', $config);
        self::assertStringContainsString('name="' . JohnLewisOrder::PAYMENT_METHOD_CODE . '"', $payment);
    }

    public function testSalableQtyResolverUsesConfiguredStockAndSwallowsErrors(): void
    {
        $msi = $this->createMock(GetProductSalableQtyInterface::class);
        $msi->method('execute')->willReturnCallback(static function (string $sku, int $stockId): float {
            if ($sku === 'CONF') {
                throw new \InvalidArgumentException('composite');
            }
            return $stockId === 3 ? 7.0 : -1.0;
        });
        $settings = new StubSettings();
        $settings->stockId = 3;
        $resolver = new MsiSalableQtyResolver($msi, $settings);
        self::assertSame(7.0, $resolver->getSalableQty('A'));
        self::assertNull($resolver->getSalableQty('CONF'));
    }
}
