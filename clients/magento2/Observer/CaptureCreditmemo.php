<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Observer;

use Jlbridge\Connector\Model\Capture\OrderFacts;
use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Jlbridge\Connector\Model\Webhook\PayloadBuilder;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Magento\Sales\Model\Order\Creditmemo;

/**
 * sales_order_creditmemo_save_after: John Lewis has no refunds, only cancellations (after
 * dispatch: "CANCELLED POST-DISPATCH"), so a credit memo on a John Lewis order becomes
 * order.canceled with the credit memo as the reason. Once per credit memo.
 */
class CaptureCreditmemo implements ObserverInterface
{
    public function __construct(
        private readonly OrderFacts $orderFacts,
        private readonly OutboxWriter $writer,
        private readonly PayloadBuilder $payloads
    ) {
    }

    public function execute(Observer $observer): void
    {
        $creditmemo = $observer->getEvent()->getData('creditmemo');
        if (!$creditmemo instanceof Creditmemo || !$creditmemo->getId()) {
            return;
        }
        $order = $creditmemo->getOrder();
        if (!$order || !$this->orderFacts->isJohnLewisOrder($order)) {
            return;
        }
        $this->writer->orderCanceled(
            'creditmemo:' . $creditmemo->getId(),
            $this->payloads->orderCanceledData(
                (string) $order->getIncrementId(),
                $this->orderFacts->marketplaceReference($order),
                'credit memo ' . $creditmemo->getIncrementId()
            )
        );
    }
}
