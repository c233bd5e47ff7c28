<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Console\Command;

use Jlbridge\Connector\Model\Outbox\OutboxStorageInterface;
use Jlbridge\Connector\Model\Outbox\StateMachine;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputArgument;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * bin/magento jlbridge:outbox:retry <id>... | --all-failed
 * Puts failed rows back to pending (due now). With --now, pending rows are made due now too.
 */
class OutboxRetryCommand extends Command
{
    public function __construct(
        private readonly OutboxStorageInterface $storage,
        private readonly StateMachine $stateMachine
    ) {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->setName('jlbridge:outbox:retry')
            ->setDescription('Put failed jlbridge outbox rows back to pending (or make pending rows due now)')
            ->addArgument('ids', InputArgument::IS_ARRAY | InputArgument::OPTIONAL, 'Row ids')
            ->addOption('all-failed', null, InputOption::VALUE_NONE, 'Every failed row');
        parent::configure();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $now = time();
        $rows = [];
        if ($input->getOption('all-failed')) {
            $rows = $this->storage->listRows(StateMachine::STATE_FAILED, null, 100000);
        }
        foreach ((array) $input->getArgument('ids') as $id) {
            $row = $this->storage->get((int) $id);
            if ($row === null) {
                $output->writeln('<error>no outbox row #' . $id . '</error>');
                return Command::FAILURE;
            }
            $rows[] = $row;
        }
        if ($rows === []) {
            $output->writeln('<error>give row ids or --all-failed</error>');
            return Command::INVALID;
        }
        $done = 0;
        foreach ($rows as $row) {
            if ($row->state === StateMachine::STATE_FAILED) {
                $this->stateMachine->requeue($row, $now);
            } elseif ($row->state === StateMachine::STATE_PENDING) {
                $row->nextAttemptAt = $now;
                $row->updatedAt = $now;
            } else {
                $output->writeln(sprintf('#%d is %s: nothing to retry', $row->id, $row->state));
                continue;
            }
            $this->storage->update($row);
            $done++;
        }
        $output->writeln($done . ' row(s) due now; run jlbridge:outbox:send or wait for cron');
        return Command::SUCCESS;
    }
}
