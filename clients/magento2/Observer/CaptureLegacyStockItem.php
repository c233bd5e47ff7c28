<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Observer;

use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Magento\CatalogInventory\Api\Data\StockItemInterface;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Magento\InventoryCatalogApi\Model\GetSkusByProductIdsInterface;

/**
 * cataloginventory_stock_item_save_after: legacy stock item saves (StockItemRepository::save,
 * PUT /V1/products/{sku}/stockItems/{id}, old extensions). Enqueues stock.changed for the SKU.
 */
class CaptureLegacyStockItem implements ObserverInterface
{
    public function __construct(
        private readonly OutboxWriter $writer,
        private readonly GetSkusByProductIdsInterface $getSkusByProductIds
    ) {
    }

    public function execute(Observer $observer): void
    {
        $item = $observer->getEvent()->getData('item');
        if (!$item instanceof StockItemInterface) {
            return;
        }
        $productId = (int) $item->getProductId();
        if ($productId <= 0) {
            return;
        }
        try {
            $skus = $this->getSkusByProductIds->execute([$productId]);
        } catch (\Magento\Framework\Exception\InputException $e) {
            return; // product deleted meanwhile
        }
        $this->writer->stockChanged(array_values($skus));
    }
}
