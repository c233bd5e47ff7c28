<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Observer;

use Jlbridge\Connector\Model\Capture\OrderFacts;
use Jlbridge\Connector\Model\Config;
use Jlbridge\Connector\Model\Reservation\OrderReservationPlacer;
use Jlbridge\Connector\Model\Reservation\ReservationLedger;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Magento\Sales\Model\Order;

/**
 * sales_order_save_after (fires for POST /V1/orders, which never reaches sales_order_place_after):
 * for an order paid with jlbridge_marketplace, place the MSI order_placed reservation Magento
 * skipped, once per order, in the same transaction as the order.
 */
class PlaceMissingReservation implements ObserverInterface
{
    public function __construct(
        private readonly Config $config,
        private readonly OrderFacts $orderFacts,
        private readonly ReservationLedger $ledger,
        private readonly OrderReservationPlacer $placer
    ) {
    }

    public function execute(Observer $observer): void
    {
        $order = $observer->getEvent()->getData('order');
        if (!$order instanceof Order || !$order->getId() || !$this->config->isReservationFixEnabled()
            || !$this->orderFacts->isCreatedByJlbridge($order)) {
            return;
        }
        $orderId = (int) $order->getId();
        if ($this->ledger->isHandled($orderId)) {
            return;
        }
        $incrementId = (string) $order->getIncrementId();
        $placed = false;
        if (!$this->ledger->hasOrderPlacedReservation($orderId, $incrementId)) {
            $placed = $this->placer->place($order) > 0;
        }
        $this->ledger->markHandled($orderId, $incrementId, $placed);
    }
}
