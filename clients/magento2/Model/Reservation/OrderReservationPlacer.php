<?php
/**
 * Places the MSI "order_placed" reservation that Magento skips for orders saved through
 * POST /V1/orders (OrderRepository::save bypasses OrderManagement::place, which is where
 * MSI reserves). Without it salable quantity never drops for the order, and after the
 * shipment (source -q, compensation +q) it is inflated by q for good.
 *
 * Mirrors MSI's AppendReservationsAfterOrderPlacementPlugin: quantities summed per product,
 * only product types with source items, sales channel = the order's website, sales event
 * order_placed / order / entity id with the increment id as extension attribute.
 * The quantity check is deliberately skipped: the sale already happened on John Lewis.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Reservation;

use Magento\InventoryCatalogApi\Model\GetProductTypesBySkusInterface;
use Magento\InventoryCatalogApi\Model\GetSkusByProductIdsInterface;
use Magento\InventoryConfigurationApi\Model\IsSourceItemManagementAllowedForProductTypeInterface;
use Magento\InventorySalesApi\Api\Data\ItemToSellInterfaceFactory;
use Magento\InventorySalesApi\Api\Data\SalesChannelInterface;
use Magento\InventorySalesApi\Api\Data\SalesChannelInterfaceFactory;
use Magento\InventorySalesApi\Api\Data\SalesEventExtensionFactory;
use Magento\InventorySalesApi\Api\Data\SalesEventInterface;
use Magento\InventorySalesApi\Api\Data\SalesEventInterfaceFactory;
use Magento\InventorySalesApi\Api\PlaceReservationsForSalesEventInterface;
use Magento\Sales\Model\Order;
use Magento\Store\Api\WebsiteRepositoryInterface;

class OrderReservationPlacer
{
    public function __construct(
        private readonly PlaceReservationsForSalesEventInterface $placeReservations,
        private readonly GetSkusByProductIdsInterface $getSkusByProductIds,
        private readonly GetProductTypesBySkusInterface $getProductTypesBySkus,
        private readonly IsSourceItemManagementAllowedForProductTypeInterface $isSourceItemManagementAllowed,
        private readonly WebsiteRepositoryInterface $websiteRepository,
        private readonly SalesChannelInterfaceFactory $salesChannelFactory,
        private readonly SalesEventInterfaceFactory $salesEventFactory,
        private readonly SalesEventExtensionFactory $salesEventExtensionFactory,
        private readonly ItemToSellInterfaceFactory $itemToSellFactory
    ) {
    }

    /** @return int number of SKUs reserved */
    public function place(Order $order): int
    {
        $qtyByProductId = [];
        foreach ($order->getAllItems() as $item) {
            $productId = (int) $item->getProductId();
            if ($productId <= 0) {
                continue;
            }
            $qtyByProductId[$productId] = ($qtyByProductId[$productId] ?? 0.0) + (float) $item->getQtyOrdered();
        }
        if ($qtyByProductId === []) {
            return 0;
        }
        $skus = $this->getSkusByProductIds->execute(array_keys($qtyByProductId));
        $types = $this->getProductTypesBySkus->execute(array_values($skus));
        $itemsToSell = [];
        foreach ($skus as $productId => $sku) {
            $type = $types[$sku] ?? null;
            if ($type === null || !$this->isSourceItemManagementAllowed->execute($type)) {
                continue;
            }
            $qty = $qtyByProductId[$productId] ?? 0.0;
            if ($qty <= 0) {
                continue;
            }
            $itemsToSell[] = $this->itemToSellFactory->create(['sku' => $sku, 'qty' => -$qty]);
        }
        if ($itemsToSell === []) {
            return 0;
        }
        $websiteId = (int) $order->getStore()->getWebsiteId();
        $websiteCode = $this->websiteRepository->getById($websiteId)->getCode();
        $salesChannel = $this->salesChannelFactory->create([
            'data' => ['type' => SalesChannelInterface::TYPE_WEBSITE, 'code' => $websiteCode],
        ]);
        $salesEvent = $this->salesEventFactory->create([
            'type' => SalesEventInterface::EVENT_ORDER_PLACED,
            'objectType' => SalesEventInterface::OBJECT_TYPE_ORDER,
            'objectId' => (string) $order->getEntityId(),
        ]);
        $salesEvent->setExtensionAttributes($this->salesEventExtensionFactory->create([
            'data' => ['objectIncrementId' => (string) $order->getIncrementId()],
        ]));
        $this->placeReservations->execute($itemsToSell, $salesChannel, $salesEvent);
        return count($itemsToSell);
    }
}
