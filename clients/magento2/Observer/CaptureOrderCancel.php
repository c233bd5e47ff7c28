<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Observer;

use Jlbridge\Connector\Model\Capture\OrderFacts;
use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Jlbridge\Connector\Model\Webhook\PayloadBuilder;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Magento\Sales\Model\Order;

/**
 * sales_order_save_after, when a John Lewis order's state has just become "canceled"
 * (Admin cancel, POST /V1/orders/{id}/cancel, code). Observed on the save rather than on
 * order_cancel_after because Order::cancel() runs before, and outside, the transaction that
 * saves the order: the event must commit or roll back with the cancellation. Once per order.
 */
class CaptureOrderCancel implements ObserverInterface
{
    public function __construct(
        private readonly OrderFacts $orderFacts,
        private readonly OutboxWriter $writer,
        private readonly PayloadBuilder $payloads
    ) {
    }

    public function execute(Observer $observer): void
    {
        $order = $observer->getEvent()->getData('order');
        if (!$order instanceof Order || !$order->getId()
            || $order->getState() !== Order::STATE_CANCELED
            || $order->getOrigData('state') === Order::STATE_CANCELED
            || !$this->orderFacts->isJohnLewisOrder($order)) {
            return;
        }
        $this->writer->orderCanceled(
            'order:' . $order->getId(),
            $this->payloads->orderCanceledData(
                (string) $order->getIncrementId(),
                $this->orderFacts->marketplaceReference($order)
            )
        );
    }
}
