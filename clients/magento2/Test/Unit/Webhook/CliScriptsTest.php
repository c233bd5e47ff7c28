<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Webhook;

use PHPUnit\Framework\TestCase;

/**
 * Runs bin/jlbridge-sign.php and bin/jlbridge-verify.php the way the Rust suite does.
 */
final class CliScriptsTest extends TestCase
{
    private const SECRET = 'whsec_dGVzdC1rZXktMDEyMzQ1Njc4OQ==';

    /** @return array{0: int, 1: string} */
    private static function exec(array $args, string $stdin): array
    {
        $cmd = array_merge([PHP_BINARY], $args);
        $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        self::assertIsResource($proc);
        fwrite($pipes[0], $stdin);
        fclose($pipes[0]);
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($proc), $out];
    }

    private static function bin(string $name): string
    {
        return dirname(__DIR__, 3) . '/bin/' . $name;
    }

    public function testSignPrintsHeaderValue(): void
    {
        [$code, $out] = self::exec([self::bin('jlbridge-sign.php'), self::SECRET, 'msg_1', '1700000000'], '{"a":1}');
        self::assertSame(0, $code);
        self::assertSame("v1,R43S57nDZBIv97AeIRVPpmRbna82JKz3uAdgeMck0wo=\n", $out);
    }

    public function testSignThenVerifyRoundTripWithRotation(): void
    {
        $ts = (string) time();
        $body = "{\"type\":\"order.canceled\",\"data\":{}}\n";
        [, $sig] = self::exec([self::bin('jlbridge-sign.php'), self::SECRET, 'msg_x', $ts], $body);
        [$code, $out] = self::exec(
            [self::bin('jlbridge-verify.php'), 'whsec_b2xk,' . self::SECRET, 'msg_x', $ts, trim($sig)],
            $body
        );
        self::assertSame(0, $code, $out);
        self::assertSame("valid\n", $out);
    }

    public function testVerifyRejectsTamperedAndStale(): void
    {
        $ts = (string) time();
        [, $sig] = self::exec([self::bin('jlbridge-sign.php'), self::SECRET, 'msg_x', $ts], 'body');
        [$code, $out] = self::exec([self::bin('jlbridge-verify.php'), self::SECRET, 'msg_x', $ts, trim($sig)], 'bodY');
        self::assertSame(1, $code);
        self::assertStringContainsString('signature mismatch', $out);

        [, $old] = self::exec([self::bin('jlbridge-sign.php'), self::SECRET, 'msg_x', '1700000000'], 'body');
        [$code, $out] = self::exec([self::bin('jlbridge-verify.php'), self::SECRET, 'msg_x', '1700000000', trim($old)], 'body');
        self::assertSame(1, $code);
        self::assertStringContainsString('tolerance', $out);
    }

    public function testUsageErrors(): void
    {
        [$code] = self::exec([self::bin('jlbridge-sign.php'), self::SECRET], '');
        self::assertSame(2, $code);
        [$code] = self::exec([self::bin('jlbridge-verify.php'), self::SECRET, 'id'], '');
        self::assertSame(2, $code);
    }
}
