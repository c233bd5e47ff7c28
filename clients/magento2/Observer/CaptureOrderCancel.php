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
 * order_cancel_after (dispatched by Order::cancel(), from Admin, REST /V1/orders/{id}/cancel
 * or code): enqueue order.canceled for a John Lewis order, once per order.
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
        if (!$order instanceof Order || !$order->getId() || !$order->isCanceled()
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
