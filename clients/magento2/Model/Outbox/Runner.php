<?php
/**
 * One delivery pass, shared by the cron job and `bin/magento jlbridge:outbox:send`, under a
 * lock so two passes never send the same row at once. Also purges old sent/superseded rows.
 */
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Outbox;

use Jlbridge\Connector\Model\Config;
use Magento\Framework\Lock\LockManagerInterface;
use Psr\Log\LoggerInterface;

class Runner
{
    public const LOCK_NAME = 'jlbridge_outbox_send';

    public function __construct(
        private readonly Delivery $delivery,
        private readonly OutboxStorageInterface $storage,
        private readonly Config $config,
        private readonly LockManagerInterface $lockManager,
        private readonly LoggerInterface $logger
    ) {
    }

    public function run(?int $limit = null, float $timeBudgetSeconds = 50.0): DeliveryReport
    {
        if (!$this->lockManager->lock(self::LOCK_NAME, 0)) {
            $report = new DeliveryReport();
            $report->skippedReason = 'another delivery run holds the lock';
            return $report;
        }
        try {
            $report = $this->delivery->run($limit, $timeBudgetSeconds);
            $this->storage->purgeFinished(time() - 86400 * $this->config->getRetentionDays());
        } finally {
            $this->lockManager->unlock(self::LOCK_NAME);
        }
        if ($report->errors !== [] || $report->stoppedReason !== null) {
            // Row errors carry HTTP status and the receiver's error code; never the secret or bodies.
            $this->logger->warning('jlbridge outbox: ' . $report->summary(), ['errors' => array_slice($report->errors, 0, 20)]);
        } elseif ($report->sent > 0) {
            $this->logger->info('jlbridge outbox: ' . $report->summary());
        }
        return $report;
    }
}
