<?php
/**
 * Test bootstrap: PSR-4 autoloading for the module and, for tests only, the minimal
 * Magento stubs under Test/Stubs (Magento itself is not installed).
 */
declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    $map = [
        'Jlbridge\\Connector\\Test\\' => __DIR__ . '/',
        'Jlbridge\\Connector\\' => dirname(__DIR__) . '/',
        'Magento\\' => __DIR__ . '/Stubs/Magento/',
        'Psr\\Log\\' => __DIR__ . '/Stubs/Psr/Log/',
    ];
    foreach ($map as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
