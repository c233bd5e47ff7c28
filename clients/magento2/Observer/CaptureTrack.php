<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Observer;

use Jlbridge\Connector\Model\Capture\ShipmentDataExtractor;
use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;

/**
 * sales_order_shipment_track_save_after: a tracking number saved with the shipment refreshes
 * the still-unsent event; one added later (Admin "Add tracking number", POST /V1/shipment/track)
 * produces a new shipment.created with every track.
 */
class CaptureTrack implements ObserverInterface
{
    public function __construct(
        private readonly ShipmentDataExtractor $extractor,
        private readonly OutboxWriter $writer
    ) {
    }

    public function execute(Observer $observer): void
    {
        $track = $observer->getEvent()->getData('track');
        if (!$track instanceof \Magento\Sales\Model\Order\Shipment\Track) {
            return;
        }
        $shipment = $track->getShipment();
        if (!$shipment) {
            return;
        }
        $data = $this->extractor->extract($shipment);
        if ($data !== null) {
            $this->writer->shipmentCreated($data);
        }
    }
}
