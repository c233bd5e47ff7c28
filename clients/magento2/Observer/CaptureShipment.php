<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Observer;

use Jlbridge\Connector\Model\Capture\ShipmentDataExtractor;
use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;

/**
 * sales_order_shipment_save_after: enqueue shipment.created for a John Lewis order.
 * Outbox write only, inside the shipment transaction (the _commit_after events are not
 * reliable for REST shipments, magento/magento2#30983).
 */
class CaptureShipment implements ObserverInterface
{
    public function __construct(
        private readonly ShipmentDataExtractor $extractor,
        private readonly OutboxWriter $writer
    ) {
    }

    public function execute(Observer $observer): void
    {
        $shipment = $observer->getEvent()->getData('shipment');
        if (!$shipment instanceof \Magento\Sales\Model\Order\Shipment) {
            return;
        }
        $data = $this->extractor->extract($shipment);
        if ($data !== null) {
            $this->writer->shipmentCreated($data);
        }
    }
}
