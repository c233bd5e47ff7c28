<?php
declare(strict_types=1);

namespace Jlbridge\Connector\Console\Command;

use Jlbridge\Connector\Model\Outbox\Runner;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

/** bin/magento jlbridge:outbox:send [--limit=N] */
class OutboxSendCommand extends Command
{
    public function __construct(private readonly Runner $runner)
    {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->setName('jlbridge:outbox:send')
            ->setDescription('Send due jlbridge outbox rows now (the cron job does this every minute)')
            ->addOption('limit', 'l', InputOption::VALUE_REQUIRED, 'Maximum rows to send (default: configured batch size)');
        parent::configure();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $limit = $input->getOption('limit');
        $report = $this->runner->run($limit === null ? null : max(1, (int) $limit), 300.0);
        $output->writeln($report->summary());
        foreach ($report->errors as $error) {
            $output->writeln('  ' . $error);
        }
        return $report->skippedReason === null ? Command::SUCCESS : Command::FAILURE;
    }
}
