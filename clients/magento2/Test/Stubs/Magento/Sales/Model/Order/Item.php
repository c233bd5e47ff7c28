<?php
declare(strict_types=1);

namespace Magento\Sales\Model\Order;

use Magento\Framework\Model\AbstractModel;

class Item extends AbstractModel
{
    public function getId()
    {
        return $this->_data['item_id'] ?? null;
    }
}
