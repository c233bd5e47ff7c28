<?php
declare(strict_types=1);

namespace Magento\InventorySalesApi\Api;

use Magento\InventorySalesApi\Api\Data\SalesChannelInterface;
use Magento\InventorySalesApi\Api\Data\SalesEventInterface;

interface PlaceReservationsForSalesEventInterface
{
    /** @param \Magento\InventorySalesApi\Api\Data\ItemToSellInterface[] $items */
    public function execute(array $items, SalesChannelInterface $salesChannel, SalesEventInterface $salesEvent): void;
}
