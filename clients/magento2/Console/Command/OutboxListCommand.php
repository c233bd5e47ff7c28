<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Console\Command;

use Jlbridge\Connector\Model\Outbox\OutboxStorageInterface;
use Jlbridge\Connector\Model\Outbox\StateMachine;
use Jlbridge\Connector\Model\Webhook\PayloadBuilder;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Helper\Table;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

/** bin/magento jlbridge:outbox:list [--state=pending|sent|failed|superseded] [--type=stock.changed] [--limit=50] */
class OutboxListCommand extends Command
{
    public function __construct(private readonly OutboxStorageInterface $storage)
    {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->setName('jlbridge:outbox:list')
            ->setDescription('List jlbridge outbox rows, newest first, with state and last error')
            ->addOption('state', 's', InputOption::VALUE_REQUIRED, implode('|', StateMachine::STATES))
            ->addOption('type', 't', InputOption::VALUE_REQUIRED, implode('|', PayloadBuilder::TYPES))
            ->addOption('limit', 'l', InputOption::VALUE_REQUIRED, 'Rows to show', '50');
        parent::configure();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $state = $input->getOption('state');
        if ($state !== null && !in_array($state, StateMachine::STATES, true)) {
            $output->writeln('<error>unknown state ' . $state . '</error>');
            return Command::INVALID;
        }
        $type = $input->getOption('type');
        $counts = $this->storage->countByState();
        $parts = [];
        foreach (StateMachine::STATES as $s) {
            $parts[] = $s . ' ' . ($counts[$s] ?? 0);
        }
        $output->writeln(implode(', ', $parts));

        $table = new Table($output);
        $table->setHeaders(['id', 'type', 'key', 'state', 'attempts', 'next attempt (UTC)', 'last status', 'last error', 'webhook-id', 'created (UTC)']);
        foreach ($this->storage->listRows($state, $type, max(1, (int) $input->getOption('limit'))) as $row) {
            $table->addRow([
                $row->id,
                $row->eventType,
                $row->dedupeKey,
                $row->state,
                $row->attempts,
                $row->state === StateMachine::STATE_PENDING ? gmdate('Y-m-d H:i:s', $row->nextAttemptAt) : '',
                $row->lastStatus,
                $row->lastError === null ? '' : mb_strimwidth($row->lastError, 0, 80, '…'),
                $row->webhookId,
                $row->createdAt === null ? '' : gmdate('Y-m-d H:i:s', $row->createdAt),
            ]);
        }
        $table->render();
        return Command::SUCCESS;
    }
}
