<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Plugin;

use Jlbridge\Connector\Model\Outbox\OutboxWriter;
use Magento\InventoryCatalogApi\Api\BulkInventoryTransferInterface;

/**
 * MSI bulk inventory transfer (Admin mass action, POST /V1/inventory/bulk-product-source-transfer):
 * written with SQL, it never reaches SourceItemsSaveInterface.
 */
class BulkInventoryTransferPlugin
{
    public function __construct(private readonly OutboxWriter $writer)
    {
    }

    /**
     * @param string[] $skus
     * @SuppressWarnings(PHPMD.UnusedFormalParameter)
     */
    public function afterExecute(BulkInventoryTransferInterface $subject, mixed $result, array $skus): mixed
    {
        $this->writer->stockChanged($skus);
        return $result;
    }
}
