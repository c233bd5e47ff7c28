<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Plugin;

use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Magento\InventoryCatalogApi\Api\BulkSourceUnassignInterface;

/**
 * MSI bulk source unassign (Admin mass action, POST /V1/inventory/bulk-product-source-unassign):
 * written with SQL, it never reaches SourceItemsSaveInterface.
 */
class BulkSourceUnassignPlugin
{
    public function __construct(private readonly OutboxWriter $writer)
    {
    }

    /**
     * @param string[] $skus
     * @SuppressWarnings(PHPMD.UnusedFormalParameter)
     */
    public function afterExecute(BulkSourceUnassignInterface $subject, mixed $result, array $skus): mixed
    {
        $this->writer->stockChanged($skus);
        return $result;
    }
}
