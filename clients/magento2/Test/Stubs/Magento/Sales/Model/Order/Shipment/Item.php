<?php
declare(strict_types=1);

namespace Magento\Sales\Model\Order\Shipment;

use Magento\Framework\Model\AbstractModel;

class Item extends AbstractModel
{
}
