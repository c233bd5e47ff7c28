<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Stock;

use Jlbridge\Connector\Model\SettingsInterface;
use Magento\InventorySalesApi\Api\GetProductSalableQtyInterface;

/**
 * Salable quantity (source qty + reservations - out-of-stock threshold) of the configured
 * stock, as MSI computes it. Null when MSI cannot answer (composite product, unknown SKU,
 * stock not managed): the webhook then leaves salable_qty out.
 */
class MsiSalableQtyResolver implements SalableQtyResolverInterface
{
    public function __construct(
        private readonly GetProductSalableQtyInterface $getProductSalableQty,
        private readonly SettingsInterface $settings
    ) {
    }

    public function getSalableQty(string $sku): int|float|null
    {
        try {
            // Reported as computed (it can be negative when oversold); jlbridge clamps at 0.
            return (float) $this->getProductSalableQty->execute($sku, $this->settings->getStockId());
        } catch (\Exception $e) {
            return null;
        }
    }
}
