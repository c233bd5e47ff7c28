<?php
/**
 * Offline payment method set by jlbridge on John Lewis orders created through POST /V1/orders.
 * John Lewis collects the money; it is never offered at checkout or in the Admin order form.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Payment;

use Jlbridge\Connector\Model\JohnLewisOrder;
use Magento\Payment\Model\Method\AbstractMethod;
use Magento\Quote\Api\Data\CartInterface;

class Marketplace extends AbstractMethod
{
    public const CODE = JohnLewisOrder::PAYMENT_METHOD_CODE;

    /** @var string */
    protected $_code = JohnLewisOrder::PAYMENT_METHOD_CODE;

    /** @var bool */
    protected $_isOffline = true;

    /** @var bool */
    protected $_canUseCheckout = false;

    /** @var bool */
    protected $_canUseInternal = false;

    /** @var bool */
    protected $_canUseForMultishipping = false;

    /** Never selectable for a quote: only orders written by jlbridge carry it. */
    public function isAvailable(?CartInterface $quote = null)
    {
        return false;
    }
}
