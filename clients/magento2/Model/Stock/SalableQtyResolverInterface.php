<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Stock;

interface SalableQtyResolverInterface
{
    /**
     * Salable quantity of the SKU in the configured stock (reservations included), or null
     * when it cannot be computed (unknown SKU, composite product, stock not managed…):
     * the webhook then omits salable_qty and jlbridge reads it from Magento itself.
     */
    public function getSalableQty(string $sku): int|float|null;
}
