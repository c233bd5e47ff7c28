<?php
declare(strict_types=1);

namespace Magento\InventoryApi\Api;

interface SourceItemsSaveInterface
{
    /** @param \Magento\InventoryApi\Api\Data\SourceItemInterface[] $sourceItems */
    public function execute(array $sourceItems): void;
}
