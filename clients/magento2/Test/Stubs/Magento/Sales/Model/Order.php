<?php
declare(strict_types=1);

namespace Magento\Sales\Model;

use Magento\Framework\Model\AbstractModel;

class Order extends AbstractModel
{
    public const STATE_NEW = 'new';
    public const STATE_PROCESSING = 'processing';
    public const STATE_COMPLETE = 'complete';
    public const STATE_CANCELED = 'canceled';

    /** @return array<int, Order\Item> */
    public function getAllItems(): array
    {
        return $this->_data['all_items'] ?? [];
    }
}
