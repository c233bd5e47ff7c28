<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Plugin;

use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Magento\InventoryApi\Api\Data\SourceItemInterface;
use Magento\InventoryApi\Api\SourceItemsSaveInterface;

/**
 * MSI source item saves: Admin product save, POST /V1/inventory/source-items, CSV import,
 * legacy stock item saves (through SourceItemsSaveWithoutLegacySynchronization).
 */
class SourceItemsSavePlugin
{
    public function __construct(private readonly OutboxWriter $writer)
    {
    }

    /**
     * @param SourceItemInterface[] $sourceItems
     * @SuppressWarnings(PHPMD.UnusedFormalParameter)
     */
    public function afterExecute(SourceItemsSaveInterface $subject, mixed $result, array $sourceItems): mixed
    {
        $this->writer->stockChanged(SkuList::fromSourceItems($sourceItems));
        return $result;
    }
}
