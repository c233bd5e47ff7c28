<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Plugin;

use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Magento\InventorySalesApi\Api\Data\ItemToSellInterface;
use Magento\InventorySalesApi\Api\Data\SalesChannelInterface;
use Magento\InventorySalesApi\Api\Data\SalesEventInterface;
use Magento\InventorySalesApi\Api\PlaceReservationsForSalesEventInterface;

/**
 * Every MSI reservation (order placed, canceled, shipment compensation, credit memo, and the
 * module's own fix for POST /V1/orders) changes salable quantity: enqueue the SKUs.
 */
class PlaceReservationsPlugin
{
    public function __construct(private readonly OutboxWriter $writer)
    {
    }

    /**
     * @param ItemToSellInterface[] $items
     * @SuppressWarnings(PHPMD.UnusedFormalParameter)
     */
    public function afterExecute(
        PlaceReservationsForSalesEventInterface $subject,
        mixed $result,
        array $items,
        SalesChannelInterface $salesChannel,
        SalesEventInterface $salesEvent
    ): mixed {
        $this->writer->stockChanged(SkuList::fromItemsToSell($items));
        return $result;
    }
}
