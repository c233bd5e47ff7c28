<?php
declare(strict_types=1);

namespace Magento\InventoryApi\Api\Data;

interface SourceItemInterface
{
    public function getSku(): ?string;

    public function getSourceCode(): ?string;

    public function getQuantity(): ?float;
}
