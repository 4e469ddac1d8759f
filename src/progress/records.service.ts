import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { Refusal } from '../common/refusal.js';
import { recordedProgress } from './progress-rule.js';
import type { Tx } from '../database/database.js';
import { answerColumns, withRecordedAnswers } from './milestone-history.js';
import { answerSchema, type Answer } from './milestone-update.js';
import { AttainmentService } from './attainment.service.js';
import { AppConfig } from '../config/config.module.js';
import { AttainmentRepository } from './attainment.repository.js';
import { lockOf, RecordsRepository, yearCut, type ApprovalEvent } from './records.repository.js';

/** Who acts: the history keeps a stable identity and the name a report shows. */
export interface Actor {
  id: string;
  name: string;
}

export type Correction = Answer & { reason: string };

const presentEvent = (event: ApprovalEvent) => ({
  id: event.id,
  year: event.year,
  action: event.action,
  at: event.at,
  by: event.actorName,
  actor: event.actor,
  reason: event.reason,
});

/**
 * The secretariat's part in the figures of record: approving a year (its figures are frozen:
 * nothing that would change them is recorded until it is reopened), reopening it with a reason,
 * and correcting a milestone on a committee's behalf with a reason. Each is one transaction, and
 * each leaves a row in a history that is only ever added to.
 */
@Injectable()
export class RecordsService {
  constructor(
    private readonly records: RecordsRepository,
    private readonly attainment: AttainmentService,
    private readonly tallies: AttainmentRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** A year's figures of record, whether it is approved, and every approval and reopening. */
  async year(planId: number, year: number) {
    const attainment = await this.attainment.planView(planId, { year }, { depth: 'plan', organisations: false });
    const events = await this.records.events(planId, year);
    return {
      plan: attainment.plan,
      year,
      approved: lockOf(events) !== null,
      figuresOf: attainment.figuresOf,
      figures: attainment.figures,
      history: events.map(presentEvent),
    };
  }

  /** Whether a year's figures are approved (and not reopened since). */
  async isApproved(planId: number, year: number): Promise<boolean> {
    return lockOf(await this.records.events(planId, year)) !== null;
  }

  /**
   * Approves a year: refused for a year without a round and a year already approved. A round
   * still in its grace window may be approved: answers that come after are kept for review.
   */
  async approve(planId: number, year: number, actor: Actor, note: string | null) {
    const at = this.clock.now();
    const event = await this.records.transaction(async (tx) => {
      await this.records.lockYear(tx, planId, year);
      const standing = await this.records.yearStanding(planId, year, tx);
      const lock = lockOf(standing.events);
      if (lock) {
        const date = lock.at.toISOString().slice(0, 10);
        throw new Refusal(
          409,
          'problem.year_already_approved',
          { year, date, name: lock.actorName },
          `${year} is already approved (on ${date} by ${lock.actorName}); reopen it first to approve it again.`,
        );
      }
      if (!standing.round)
        throw new Refusal(
          409,
          'problem.year_without_round',
          { year },
          `${year} has no reporting round: a year's figures of record are approved from its round's answers. Schedule and close a round for ${year} first.`,
        );
      const approval = await this.records.addEvent(tx, {
        planId,
        year,
        action: 'approved',
        actor: actor.id,
        actorName: actor.name,
        reason: note,
        at,
        tallied: true,
      });
      // The figures as approved, counted once: nothing that would change them is recorded now.
      const cut = yearCut(year, { ...standing, events: [...standing.events, approval] }, this.config.get('TZ'));
      await this.tallies.keepRecordTallies(tx, planId, { ...cut, approval: { id: approval.id, at, tallied: true } });
      return approval;
    });
    return presentEvent(event);
  }

  /** Reopens an approved year; the reason is kept in the history and shown in the year's report. */
  async reopen(planId: number, year: number, actor: Actor, reason: string) {
    const at = this.clock.now();
    const event = await this.records.transaction(async (tx) => {
      await this.records.lockYear(tx, planId, year);
      if (!lockOf(await this.records.events(planId, year, tx)))
        throw new Refusal(409, 'problem.year_not_approved', { year }, `${year} is not approved, so there is nothing to reopen.`);
      return this.records.addEvent(tx, {
        planId,
        year,
        action: 'reopened',
        actor: actor.id,
        actorName: actor.name,
        reason,
        at,
        tallied: false,
      });
    });
    return presentEvent(event);
  }

  /** Refuses (409) when the plan's year is approved: see RecordsRepository.assertYearOpen. */
  assertYearOpen(tx: Tx, planId: number, year: number): Promise<void> {
    return this.records.assertYearOpen(tx, planId, year);
  }

  /** A write's error as YearApproved when assert_year_open refused it (see RecordsRepository.refusal). */
  refusal(error: unknown, planId: number, year: number): Promise<unknown> {
    return this.records.refusal(error, planId, year);
  }

  /**
   * Sets a milestone's state, progress and comment on a committee's behalf: channel
   * `secretariat`, the user as actor, the reason kept. It counts by its moment: in the open years
   * whose figures it falls within, never in an approved one (those are cut at their approval).
   */
  async correct(planId: number, milestoneId: number, correction: Correction, actor: Actor) {
    const at = this.clock.now();
    const { reason, ...answer } = correction;
    const parsed = answerSchema.safeParse(answer);
    if (!parsed.success)
      throw new BadRequestException(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`));
    await this.records.transaction(async (tx) => {
      const milestone = await this.records.milestoneForCorrection(tx, planId, milestoneId);
      if (milestone === null) throw new NotFoundException(`There is no milestone with id ${milestoneId}.`);
      if (milestone === 'other-plan')
        throw new BadRequestException(`milestone: milestone ${milestoneId} belongs to another plan, not to plan ${planId}.`);
      const state = parsed.data.state;
      // The same rule as a committee's answer on any channel (progress-rule.ts).
      const progress = recordedProgress({ state, given: parsed.data.progress }, milestone);
      await withRecordedAnswers(
        tx,
        answerColumns([
          { milestoneId, state, progress, comment: parsed.data.comment || null, evidenceUrl: parsed.data.evidenceUrl || null },
        ]),
        { channel: 'secretariat', actor: actor.name, requestId: null, late: false, at, reportingYear: null, reason },
      )
        .selectFrom('history')
        .select('id')
        .execute();
    });
    return this.attainment.history(milestoneId);
  }
}
