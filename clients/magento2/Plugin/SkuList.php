<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Plugin;

/** SKUs of MSI data objects, duck-typed so it stays testable without Magento. */
final class SkuList
{
    /**
     * @param iterable<object> $sourceItems objects with getSku()
     * @return list<string>
     */
    public static function fromSourceItems(iterable $sourceItems): array
    {
        return self::collect($sourceItems);
    }

    /**
     * @param iterable<object> $items ItemToSellInterface
     * @return list<string>
     */
    public static function fromItemsToSell(iterable $items): array
    {
        return self::collect($items);
    }

    /**
     * @param iterable<object> $objects
     * @return list<string>
     */
    private static function collect(iterable $objects): array
    {
        $skus = [];
        foreach ($objects as $object) {
            $sku = is_object($object) && method_exists($object, 'getSku') ? $object->getSku() : null;
            if (is_string($sku) && $sku !== '') {
                $skus[$sku] = true;
            }
        }
        return array_map('strval', array_keys($skus));
    }
}
