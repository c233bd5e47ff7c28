<?php
/**
 * Which orders already hold an "order_placed" MSI reservation, plus our own marker table
 * `jlbridge_order_reservation` (one row per order the module has handled, primary key on
 * the order id, so the fix runs once per order and can never be applied twice).
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Reservation;

use Magento\Framework\App\ResourceConnection;

class ReservationLedger
{
    public const MARKER_TABLE = 'jlbridge_order_reservation';

    public function __construct(private readonly ResourceConnection $resource)
    {
    }

    public function isHandled(int $orderId): bool
    {
        $db = $this->resource->getConnection();
        $select = $db->select()
            ->from($this->resource->getTableName(self::MARKER_TABLE), ['order_id'])
            ->where('order_id = ?', $orderId);
        return (bool) $db->fetchOne($select);
    }

    /**
     * Record the order as handled, inside the order's transaction. A concurrent second
     * insert fails on the primary key and rolls back with its reservation: never two.
     */
    public function markHandled(int $orderId, string $incrementId, bool $placed): void
    {
        $this->resource->getConnection()->insert(
            $this->resource->getTableName(self::MARKER_TABLE),
            [
                'order_id' => $orderId,
                'increment_id' => $incrementId,
                'reservation_placed' => $placed ? 1 : 0,
                'created_at' => gmdate('Y-m-d H:i:s'),
            ]
        );
    }

    /**
     * Whether MSI already holds an order_placed reservation for this order (for example
     * when it was placed through the checkout path). MSI writes reservation metadata as
     * {"event_type":"order_placed","object_type":"order","object_id":"42","object_increment_id":"…"}.
     * On the checkout path MSI reserves before the order has an id (object_id ""), so the
     * increment id is matched too.
     */
    public function hasOrderPlacedReservation(int $orderId, string $incrementId): bool
    {
        $db = $this->resource->getConnection();
        $idMatch = $db->quoteInto('metadata LIKE ?', '%"object_id":"' . $orderId . '"%')
            . ' OR ' . $db->quoteInto('metadata LIKE ?', '%"object_id":' . $orderId . ',%');
        if ($incrementId !== '') {
            $json = substr((string) json_encode($incrementId, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), 1, -1);
            $like = addcslashes($json, '%_\\');
            $idMatch .= ' OR ' . $db->quoteInto('metadata LIKE ?', '%"object_increment_id":"' . $like . '"%');
        }
        $select = $db->select()
            ->from($this->resource->getTableName('inventory_reservation'), ['reservation_id'])
            ->where('metadata LIKE ?', '%"event_type":"order_placed"%')
            ->where('metadata LIKE ?', '%"object_type":"order"%')
            ->where($idMatch)
            ->limit(1);
        return (bool) $db->fetchOne($select);
    }
}
