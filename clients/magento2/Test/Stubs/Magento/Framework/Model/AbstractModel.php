<?php
declare(strict_types=1);

namespace Magento\Framework\Model;

use Magento\Framework\DataObject;

/** Data plus original data, as far as dataHasChangedFor()/getOrigData() go. */
class AbstractModel extends DataObject
{
    /** @var array<string, mixed> */
    protected array $origData = [];
    protected bool $deleted = false;

    /** @param array<string, mixed> $orig */
    public function withOrigData(array $orig): static
    {
        $this->origData = $orig;
        return $this;
    }

    public function getId()
    {
        return $this->_data['entity_id'] ?? $this->_data['id'] ?? null;
    }

    public function getOrigData($key = null)
    {
        return $key === null ? $this->origData : ($this->origData[$key] ?? null);
    }

    public function dataHasChangedFor($field): bool
    {
        return ($this->origData[$field] ?? null) != ($this->_data[$field] ?? null);
    }

    public function isDeleted($isDeleted = null)
    {
        return $this->deleted;
    }
}
