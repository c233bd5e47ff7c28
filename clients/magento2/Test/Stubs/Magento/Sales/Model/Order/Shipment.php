<?php
declare(strict_types=1);

namespace Magento\Sales\Model\Order;

use Magento\Framework\Model\AbstractModel;

class Shipment extends AbstractModel
{
    /** @return array<int, Shipment\Item> */
    public function getAllItems(): array
    {
        return $this->_data['all_items'] ?? [];
    }

    /** @return array<int, Shipment\Track> */
    public function getAllTracks(): array
    {
        return $this->_data['all_tracks'] ?? [];
    }
}
