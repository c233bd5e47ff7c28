<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Cron;

use Jlbridge\Connector\Model\Outbox\Runner;

/** Every minute (etc/crontab.xml): send due outbox rows, bounded to about 50 s. */
class SendOutbox
{
    public function __construct(private readonly Runner $runner)
    {
    }

    public function execute(): void
    {
        $this->runner->run(null, 50.0);
    }
}
