<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Test\Unit\Webhook;

use Jlbridge\Connector\Model\Webhook\Signer;
use PHPUnit\Framework\TestCase;

final class SignerTest extends TestCase
{
    private const KEY = "jlbridge test key \x00\xff bytes";
    private const ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    private const TS = 1700000000;
    private const BODY = '{"type":"stock.changed","timestamp":"2023-11-14T22:13:20.000000Z","data":{"items":[{"sku":"TEE-M-RED","salable_qty":12}]}}';

    private static function secret(string $key = self::KEY): string
    {
        return 'whsec_' . base64_encode($key);
    }

    /** The expected value computed independently, straight from the spec. */
    private static function expected(string $key, string $id, int $ts, string $body): string
    {
        return 'v1,' . base64_encode(hash_hmac('sha256', $id . '.' . $ts . '.' . $body, $key, true));
    }

    public function testKnownVectorMatchesHandWrittenHmac(): void
    {
        $signer = new Signer();
        self::assertSame(
            self::expected(self::KEY, self::ID, self::TS, self::BODY),
            $signer->sign(self::secret(), self::ID, self::TS, self::BODY)
        );
    }

    public function testFixedVector(): void
    {
        // Same vector as `printf 'msg_1.1700000000.{"a":1}' | openssl dgst -sha256 -hmac test-key-0123456789 -binary | base64`
        $sig = (new Signer())->sign('whsec_dGVzdC1rZXktMDEyMzQ1Njc4OQ==', 'msg_1', 1700000000, '{"a":1}');
        self::assertSame('v1,R43S57nDZBIv97AeIRVPpmRbna82JKz3uAdgeMck0wo=', $sig);
    }

    public function testStandardWebhooksReferenceVector(): void
    {
        // Test vector published with the Standard Webhooks reference libraries.
        $sig = (new Signer())->sign(
            'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
            'msg_p5jXN8AQM9LWM0D4loKWxJek',
            1614265330,
            '{"test": 2432232314}'
        );
        self::assertSame('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', $sig);
    }

    public function testSecretWithoutPrefixIsAccepted(): void
    {
        self::assertSame(
            (new Signer())->sign(self::secret(), self::ID, self::TS, self::BODY),
            (new Signer())->sign(base64_encode(self::KEY), self::ID, self::TS, self::BODY)
        );
    }

    public function testInvalidSecretIsRejected(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        (new Signer())->sign('whsec_not*base64!', self::ID, self::TS, self::BODY);
    }

    public function testEmptySecretIsRejected(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        Signer::decodeSecret('whsec_');
    }

    public function testVerifyAcceptsValidSignature(): void
    {
        $signer = new Signer();
        $header = $signer->sign(self::secret(), self::ID, self::TS, self::BODY);
        self::assertNull($signer->check([self::secret()], self::ID, (string) self::TS, $header, self::BODY, self::TS + 10));
        self::assertTrue($signer->verify([self::secret()], self::ID, (string) self::TS, $header, self::BODY, self::TS));
    }

    public function testTamperedBodyIsRejected(): void
    {
        $signer = new Signer();
        $header = $signer->sign(self::secret(), self::ID, self::TS, self::BODY);
        $tampered = str_replace('"salable_qty":12', '"salable_qty":13', self::BODY);
        self::assertSame(
            'signature mismatch',
            $signer->check([self::secret()], self::ID, (string) self::TS, $header, $tampered, self::TS)
        );
    }

    public function testTamperedIdOrTimestampIsRejected(): void
    {
        $signer = new Signer();
        $header = $signer->sign(self::secret(), self::ID, self::TS, self::BODY);
        self::assertFalse($signer->verify([self::secret()], 'msg_other', (string) self::TS, $header, self::BODY, self::TS));
        self::assertFalse($signer->verify([self::secret()], self::ID, (string) (self::TS + 1), $header, self::BODY, self::TS));
    }

    public function testWrongSecretIsRejected(): void
    {
        $signer = new Signer();
        $header = $signer->sign(self::secret(), self::ID, self::TS, self::BODY);
        self::assertFalse($signer->verify([self::secret('another key')], self::ID, (string) self::TS, $header, self::BODY, self::TS));
    }

    public function testStaleAndFutureTimestampsAreRejected(): void
    {
        $signer = new Signer();
        $header = $signer->sign(self::secret(), self::ID, self::TS, self::BODY);
        self::assertNull($signer->check([self::secret()], self::ID, (string) self::TS, $header, self::BODY, self::TS + 300));
        self::assertNull($signer->check([self::secret()], self::ID, (string) self::TS, $header, self::BODY, self::TS - 300));
        self::assertStringContainsString(
            'tolerance',
            (string) $signer->check([self::secret()], self::ID, (string) self::TS, $header, self::BODY, self::TS + 301)
        );
        self::assertStringContainsString(
            'tolerance',
            (string) $signer->check([self::secret()], self::ID, (string) self::TS, $header, self::BODY, self::TS - 301)
        );
    }

    public function testMalformedTimestampIsRejected(): void
    {
        $signer = new Signer();
        self::assertSame(
            'invalid webhook-timestamp',
            $signer->check([self::secret()], self::ID, '17e8', 'v1,abc', self::BODY, self::TS)
        );
    }

    public function testRotationAnyConfiguredSecretPasses(): void
    {
        $signer = new Signer();
        $old = self::secret('old key');
        $new = self::secret('new key');
        $signedWithOld = $signer->sign($old, self::ID, self::TS, self::BODY);
        $signedWithNew = $signer->sign($new, self::ID, self::TS, self::BODY);
        self::assertTrue($signer->verify([$new, $old], self::ID, (string) self::TS, $signedWithOld, self::BODY, self::TS));
        self::assertTrue($signer->verify([$new, $old], self::ID, (string) self::TS, $signedWithNew, self::BODY, self::TS));
        self::assertFalse($signer->verify([$new], self::ID, (string) self::TS, $signedWithOld, self::BODY, self::TS));
    }

    public function testSeveralSignaturesInHeaderAnyMatchPasses(): void
    {
        $signer = new Signer();
        $good = $signer->sign(self::secret(), self::ID, self::TS, self::BODY);
        $header = 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,ignored ' . $good;
        self::assertTrue($signer->verify([self::secret()], self::ID, (string) self::TS, $header, self::BODY, self::TS));
    }

    public function testHeaderWithoutV1SignatureIsRejected(): void
    {
        $signer = new Signer();
        self::assertSame(
            'no v1 signature in webhook-signature',
            $signer->check([self::secret()], self::ID, (string) self::TS, 'v2,abc', self::BODY, self::TS)
        );
    }

    public function testNoSecretIsRejected(): void
    {
        $signer = new Signer();
        self::assertSame('no secret configured', $signer->check(['', ' '], self::ID, (string) self::TS, 'v1,abc', self::BODY, self::TS));
    }

    public function testRawBodyBytesMatter(): void
    {
        $signer = new Signer();
        $header = $signer->sign(self::secret(), self::ID, self::TS, self::BODY);
        self::assertFalse($signer->verify([self::secret()], self::ID, (string) self::TS, $header, self::BODY . "\n", self::TS));
    }
}
