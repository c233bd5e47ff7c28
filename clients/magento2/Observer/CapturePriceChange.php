<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Observer;

use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Magento\Catalog\Model\Product;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;

/**
 * catalog_product_save_after: enqueue price.changed when the price attribute changed
 * (Admin, REST product save, code). Mass attribute updates and imports write prices
 * without a product save and are not seen here.
 */
class CapturePriceChange implements ObserverInterface
{
    public function __construct(private readonly OutboxWriter $writer)
    {
    }

    public function execute(Observer $observer): void
    {
        $product = $observer->getEvent()->getData('product');
        if (!$product instanceof Product || !$product->getSku() || !$product->dataHasChangedFor('price')) {
            return;
        }
        $price = $product->getData('price');
        if ($price === null || $price === '' || !is_numeric($price)) {
            return;
        }
        $this->writer->priceChanged((string) $product->getSku(), is_string($price) ? $price : (float) $price);
    }
}
