<?php
declare(strict_types=1);

namespace Magento\Sales\Model\Order\Shipment;

use Magento\Framework\Model\AbstractModel;

class Track extends AbstractModel
{
    public function markDeleted(): static
    {
        $this->deleted = true;
        return $this;
    }
}
