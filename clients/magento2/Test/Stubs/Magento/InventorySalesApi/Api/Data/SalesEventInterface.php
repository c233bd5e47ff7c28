<?php
declare(strict_types=1);

namespace Magento\InventorySalesApi\Api\Data;

interface SalesEventInterface
{
    public const EVENT_ORDER_PLACED = 'order_placed';
    public const OBJECT_TYPE_ORDER = 'order';

    public function getType(): string;

    public function getObjectType(): string;

    public function getObjectId(): string;
}
