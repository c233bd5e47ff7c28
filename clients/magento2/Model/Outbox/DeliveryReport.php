<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Model\Outbox;

final class DeliveryReport
{
    public int $sent = 0;
    public int $retrying = 0;
    public int $failed = 0;
    public int $superseded = 0;
    /** Set when nothing was attempted (module disabled, endpoint or secret missing, lock held). */
    public ?string $skippedReason = null;
    /** Set when the run stopped before the end of the batch (endpoint down, time budget). */
    public ?string $stoppedReason = null;
    /** @var list<string> "#id: error" for rows that did not go out */
    public array $errors = [];

    public function summary(): string
    {
        if ($this->skippedReason !== null) {
            return 'skipped: ' . $this->skippedReason;
        }
        $text = sprintf(
            'sent %d, retrying %d, failed %d, superseded %d',
            $this->sent,
            $this->retrying,
            $this->failed,
            $this->superseded
        );
        return $this->stoppedReason === null ? $text : $text . ' (stopped: ' . $this->stoppedReason . ')';
    }
}
