import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AnnualReportService } from '../annual-report/annual-report.service.js';
import { Clock } from '../common/clock.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import { QueueService } from '../queue/queue.service.js';
import { RoundsService } from '../reporting/rounds.service.js';

/**
 * The tick: a BullMQ job scheduler (one in Redis however many instances run) that advances the
 * rounds and re-enqueues mail left pending. It decides nothing itself; the steps are idempotent,
 * so a tick that runs twice or late does no harm.
 */
@Injectable()
export class RoundScheduler implements OnModuleInit {
  private readonly logger = new Logger(RoundScheduler.name);

  constructor(
    private readonly queues: QueueService,
    private readonly rounds: RoundsService,
    private readonly delivery: MailDeliveryService,
    private readonly clock: Clock,
    private readonly annualReports: AnnualReportService,
  ) {}

  onModuleInit(): void {
    this.queues.handle('rounds.tick', () => this.tick());
  }

  async tick(now = this.clock.now()) {
    const steps = await this.rounds.advance(now);
    // After the rounds, so a round closed by this tick gets its annual report in the same tick.
    const reports = await this.annualReports.ensureYearlyReport(now).catch((error: Error) => {
      this.logger.error(`annual reports: ${error.message}`);
      return [];
    });
    const requeued = await this.delivery.reconcile();
    for (const step of steps) this.logger.log(`round ${step.round}: ${step.step} (${step.messages} messages)`);
    if (requeued > 0) this.logger.log(`re-enqueued ${requeued} pending message(s)`);
    return { steps, requeued, reports };
  }
}
