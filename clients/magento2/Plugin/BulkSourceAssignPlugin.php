<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Plugin;

use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Magento\InventoryCatalogApi\Api\BulkSourceAssignInterface;

/**
 * MSI bulk source assign (Admin mass action, POST /V1/inventory/bulk-product-source-assign):
 * written with SQL, it never reaches SourceItemsSaveInterface.
 */
class BulkSourceAssignPlugin
{
    public function __construct(private readonly OutboxWriter $writer)
    {
    }

    /**
     * @param string[] $skus
     * @SuppressWarnings(PHPMD.UnusedFormalParameter)
     */
    public function afterExecute(BulkSourceAssignInterface $subject, mixed $result, array $skus): mixed
    {
        $this->writer->stockChanged($skus);
        return $result;
    }
}
