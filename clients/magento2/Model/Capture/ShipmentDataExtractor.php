<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Capture;

use Jlbridge\Connector\Model\Webhook\PayloadBuilder;
use Magento\Sales\Model\Order\Shipment;

/**
 * Turns a Magento shipment (items and tracks as they are in memory, so a shipment saved
 * together with its tracks is complete) into the shipment.created `data` object.
 */
class ShipmentDataExtractor
{
    public function __construct(
        private readonly OrderFacts $orderFacts,
        private readonly PayloadBuilder $payloads
    ) {
    }

    /** @return array<string, mixed>|null null when this is not a John Lewis order */
    public function extract(Shipment $shipment): ?array
    {
        $order = $shipment->getOrder();
        if ($order === null || !$this->orderFacts->isJohnLewisOrder($order) || !$shipment->getId()) {
            return null;
        }
        $shippedOrderItemIds = [];
        foreach ($shipment->getAllItems() as $item) {
            $shippedOrderItemIds[(int) $item->getOrderItemId()] = true;
        }
        $items = [];
        foreach ($shipment->getAllItems() as $item) {
            if ((float) $item->getQty() <= 0) {
                continue;
            }
            $orderItem = $item->getOrderItem();
            $parent = $orderItem ? $orderItem->getParentItem() : null;
            // A child shipped together with its parent line is reported once, as the parent line.
            if ($parent !== null && isset($shippedOrderItemIds[(int) $parent->getId()])) {
                continue;
            }
            $ref = $orderItem ? $orderItem->getExtOrderItemId() : null;
            if (($ref === null || $ref === '') && $parent !== null) {
                $ref = $parent->getExtOrderItemId();
            }
            $items[] = [
                'sku' => (string) $item->getSku(),
                'qty' => (float) $item->getQty(),
                'marketplace_line_ref' => $ref === null ? null : (string) $ref,
            ];
        }
        $tracks = [];
        foreach ($shipment->getAllTracks() as $track) {
            if ($track->isDeleted() || (string) $track->getTrackNumber() === '') {
                continue;
            }
            $tracks[] = [
                'carrier_code' => (string) $track->getCarrierCode(),
                'title' => (string) $track->getTitle(),
                'track_number' => (string) $track->getTrackNumber(),
            ];
        }
        return $this->payloads->shipmentCreatedData(
            (string) $order->getIncrementId(),
            $this->orderFacts->marketplaceReference($order),
            (int) $shipment->getId(),
            $items,
            $tracks
        );
    }
}
