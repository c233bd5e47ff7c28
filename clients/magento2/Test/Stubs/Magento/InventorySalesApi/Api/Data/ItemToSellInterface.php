<?php
declare(strict_types=1);

namespace Magento\InventorySalesApi\Api\Data;

interface ItemToSellInterface
{
    public function getSku(): string;

    public function getQuantity(): float;

    public function setQuantity(float $qty): void;
}
