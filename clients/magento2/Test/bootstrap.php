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

// ext-curl is required by Magento but not by these tests: define the few constants
// CurlHttpClient uses when the extension is absent (values from curl.h).
foreach ([
    'CURLOPT_FOLLOWLOCATION' => 52,
    'CURLOPT_CONNECTTIMEOUT' => 78,
    'CURLOPT_PROTOCOLS' => 181,
    'CURLPROTO_HTTP' => 1,
    'CURLPROTO_HTTPS' => 2,
] as $name => $value) {
    if (!defined($name)) {
        define($name, $value);
    }
}
