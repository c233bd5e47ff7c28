<?php
/**
 * How the module recognises a John Lewis order. The payment method code is stated here
 * once for all PHP code (XML config files must spell it literally: etc/config.xml, etc/payment.xml).
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model;

final class JohnLewisOrder
{
    /** Payment method jlbridge sets on the orders it creates through POST /V1/orders. */
    public const PAYMENT_METHOD_CODE = 'jlbridge_marketplace';

    /** Created by jlbridge: recognised by the payment method. Used for the reservation fix. */
    public static function isCreatedByJlbridge(?string $paymentMethod): bool
    {
        return $paymentMethod === self::PAYMENT_METHOD_CODE;
    }

    /**
     * A John Lewis order for webhook purposes: our payment method, or an order that carries
     * a marketplace reference in ext_order_id (the John Lewis order_reference).
     */
    public static function isJohnLewisOrder(?string $paymentMethod, ?string $extOrderId): bool
    {
        return self::isCreatedByJlbridge($paymentMethod) || ($extOrderId !== null && trim($extOrderId) !== '');
    }

    /** The marketplace reference sent to jlbridge: ext_order_id, or the increment id as a fallback. */
    public static function marketplaceReference(?string $extOrderId, string $incrementId): string
    {
        return ($extOrderId !== null && trim($extOrderId) !== '') ? $extOrderId : $incrementId;
    }
}
