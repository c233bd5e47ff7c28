<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Plugin;

use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Magento\InventoryApi\Api\Data\SourceItemInterface;
use Magento\InventoryApi\Api\SourceItemsDeleteInterface;

/** MSI source item deletes (source unassigned from a product). */
class SourceItemsDeletePlugin
{
    public function __construct(private readonly OutboxWriter $writer)
    {
    }

    /**
     * @param SourceItemInterface[] $sourceItems
     * @SuppressWarnings(PHPMD.UnusedFormalParameter)
     */
    public function afterExecute(SourceItemsDeleteInterface $subject, mixed $result, array $sourceItems): mixed
    {
        $this->writer->stockChanged(SkuList::fromSourceItems($sourceItems));
        return $result;
    }
}
