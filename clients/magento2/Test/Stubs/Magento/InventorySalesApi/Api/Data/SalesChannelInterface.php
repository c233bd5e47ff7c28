<?php
declare(strict_types=1);

namespace Magento\InventorySalesApi\Api\Data;

interface SalesChannelInterface
{
    public const TYPE_WEBSITE = 'website';

    public function getType(): ?string;

    public function getCode(): ?string;
}
