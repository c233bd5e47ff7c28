<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Capture;

use Jlbridge\Connector\Model\JohnLewisOrder;
use Magento\Sales\Model\Order;

/**
 * Reads what the capture code needs to know about an order.
 */
class OrderFacts
{
    public function paymentMethod(Order $order): ?string
    {
        $payment = $order->getPayment();
        if ($payment === null || $payment === false) {
            return null;
        }
        $method = $payment->getMethod();
        return $method === null ? null : (string) $method;
    }

    public function isJohnLewisOrder(Order $order): bool
    {
        return JohnLewisOrder::isJohnLewisOrder($this->paymentMethod($order), $this->extOrderId($order));
    }

    public function isCreatedByJlbridge(Order $order): bool
    {
        return JohnLewisOrder::isCreatedByJlbridge($this->paymentMethod($order));
    }

    public function marketplaceReference(Order $order): string
    {
        return JohnLewisOrder::marketplaceReference($this->extOrderId($order), (string) $order->getIncrementId());
    }

    private function extOrderId(Order $order): ?string
    {
        $ext = $order->getExtOrderId();
        return $ext === null ? null : (string) $ext;
    }
}
