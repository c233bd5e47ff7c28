<?php
declare(strict_types=1);

namespace Magento\Framework;

/** Minimal DataObject: data array plus magic getFooBar()/setFooBar() on key foo_bar. */
class DataObject
{
    /** @param array<string, mixed> $data */
    public function __construct(protected array $_data = [])
    {
    }

    public function getData($key = '', $index = null)
    {
        return $key === '' ? $this->_data : ($this->_data[$key] ?? null);
    }

    public function setData($key, $value = null)
    {
        if (is_array($key)) {
            $this->_data = $key;
        } else {
            $this->_data[$key] = $value;
        }
        return $this;
    }

    public function __call($method, $args)
    {
        $key = strtolower((string) preg_replace('/(.)([A-Z])/', '$1_$2', substr($method, 3)));
        switch (substr($method, 0, 3)) {
            case 'get':
                return $this->getData($key);
            case 'set':
                return $this->setData($key, $args[0] ?? null);
            case 'has':
                return isset($this->_data[$key]);
        }
        throw new \BadMethodCallException('Invalid method ' . static::class . '::' . $method);
    }
}
