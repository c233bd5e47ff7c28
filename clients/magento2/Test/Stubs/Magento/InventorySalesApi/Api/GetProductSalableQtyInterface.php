<?php
declare(strict_types=1);

namespace Magento\InventorySalesApi\Api;

interface GetProductSalableQtyInterface
{
    public function execute(string $sku, int $stockId): float;
}
