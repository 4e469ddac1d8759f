import { ConflictException, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { badRequest, notFound, Refusal } from '../common/refusal.js';
import { addDays, addHours, Clock } from '../common/clock.js';
import { digestReferences } from '../common/digest-references.js';
import { endOfDay, localDate, parseDayOrInstant, startOfDay } from '../common/dates.js';
import { SignedLinks } from '../common/signed-links.js';
import { requestStanding } from './request-standing.js';
import { AppConfig } from '../config/config.module.js';
import type { Tx } from '../database/database.js';
import type { Language } from '../generated/db/enums.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import { OutboxRepository, type NewOutboxMessage } from '../mail/outbox.repository.js';
import { PlanService } from '../plan/plan.service.js';
import { plannedSteps, reminderOffset, type RoundStepName } from './round-schedule.js';
import {
  RoundsRepository,
  type DigestMilestoneFields,
  type NewRequest,
  type OrganisationWithContacts,
  type ReminderRow,
  type ScopeRow,
} from './rounds.repository.js';

export interface CreateRound {
  plan?: number;
  year: number;
  /** A date (the whole day, in TZ) or an instant; default: now. */
  opensAt?: string;
  deadline: string;
  /** Default: GRACE_DAYS after the deadline. */
  graceUntil?: string;
}

type RoundWithPlan = NonNullable<Awaited<ReturnType<RoundsRepository['findRound']>>>;

/** A round step row that marks an opening still writing its requests; removed when it is done. */
const OPENING = 'opening';

/** What a digest needs of a request: written from the scope when a round opens, read back for reminders. */
interface DigestRequest {
  id: number;
  status: string;
  tokenNonce: string;
  organisation: { name: string; language: Language; contacts: string[] };
  milestones: (DigestMilestoneFields & { number: number; optional: boolean; answeredAt: Date | null })[];
}

/** The reminders' rows (a row per milestone, in request order) as one digest request per request. */
function toDigestRequests(
  rows: ReminderRow[],
  organisations: Map<number, OrganisationWithContacts>,
  comments: Map<number, string>,
): DigestRequest[] {
  const requests = new Map<number, DigestRequest>();
  for (const { requestId, organisationId, status, tokenNonce, ...milestone } of rows) {
    let request = requests.get(requestId);
    if (!request) {
      const organisation = organisations.get(organisationId)!;
      request = {
        id: requestId,
        status,
        tokenNonce,
        organisation: { name: organisation.name, language: organisation.language, contacts: organisation.contacts },
        milestones: [],
      };
      requests.set(requestId, request);
    }
    request.milestones.push({ ...milestone, lastComment: comments.get(milestone.milestoneId) ?? null });
  }
  return [...requests.values()];
}

/**
 * Reporting rounds: who is asked what, and when they are reminded. Every decision to send mail
 * is an outbox row written in the same transaction as the step that caused it, guarded by a
 * unique (round, step) row, so a step happens once however many instances race for it.
 */
@Injectable()
export class RoundsService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(RoundsService.name);

  constructor(
    private readonly rounds: RoundsRepository,
    private readonly outbox: OutboxRepository,
    private readonly delivery: MailDeliveryService,
    private readonly plans: PlanService,
    private readonly links: SignedLinks,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Requests made before reply keys were derived get the hash of their derived key, so the
   * reminders they are sent from now on (which carry the derived key) can be answered as well.
   */
  async onApplicationBootstrap(): Promise<void> {
    try {
      const filled = await this.rounds.fillReplyKeyHashes((nonce) => SignedLinks.hash(this.links.replyKey(nonce)));
      if (filled > 0) this.logger.log(`reply keys derived for ${filled} request(s) made before keys were hashed`);
    } catch (error) {
      this.logger.warn(`could not derive the reply keys of older requests: ${(error as Error).message}`);
    }
  }

  /** A status mail refused for good marks its request bounced; a refused confirmation does not. */
  onModuleInit(): void {
    this.delivery.onUndeliverable(async ({ requestId, template, reason }) => {
      if (requestId !== null && template !== 'answer-confirmation') await this.rounds.recordBounce(requestId, reason);
    });
  }

  private get timeZone(): string {
    return this.config.get('TZ');
  }

  /**
   * A date of the request. What is not a date (20/12/2026) or not on the calendar (2026-02-30) is
   * the caller's mistake, refused with a message that names the field; nothing is rolled over.
   */
  private parseDate(field: string, value: string, edge: 'start' | 'end'): Date {
    try {
      return parseDayOrInstant(value, edge, this.timeZone);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      const shaped = /^\d{4}-\d{2}-\d{2}$/.test(value);
      throw badRequest(
        field,
        shaped ? 'problem.date_invalid' : 'problem.date_format',
        { value, example: '2026-12-20' },
        `${field}: ${error.message}.`,
      );
    }
  }

  async create(input: CreateRound): Promise<RoundWithPlan> {
    const planId = await this.plans.resolvePlanId(input.plan);
    const plan = (await this.plans.listPlans()).find((p) => p.id === planId)!;
    if (!Number.isInteger(input.year))
      throw badRequest('year', 'problem.year', { example: plan.periodFrom }, 'year: must be a whole year.');
    if (input.year < plan.periodFrom || input.year > plan.periodTo) {
      throw badRequest(
        'year',
        'problem.year_outside',
        { year: input.year, from: plan.periodFrom, to: plan.periodTo },
        `year: ${input.year} is outside the plan period ${plan.periodFrom}-${plan.periodTo}.`,
      );
    }
    const now = this.clock.now();
    const opensAt = input.opensAt ? this.parseDate('opensAt', input.opensAt, 'start') : now;
    const deadline = this.parseDate('deadline', input.deadline, 'end');
    const graceUntil = input.graceUntil
      ? this.parseDate('graceUntil', input.graceUntil, 'end')
      : addDays(deadline, this.config.get('GRACE_DAYS'));
    // Said in dates of the secretariat's calendar: the API's English names the local days too.
    const local = (instant: Date) => localDate(instant, this.timeZone);
    if (deadline <= now)
      throw badRequest(
        'deadline',
        'problem.deadline_passed',
        { deadline, today: now },
        `deadline: ${local(deadline)} has already passed (today is ${local(now)}).`,
      );
    if (deadline <= opensAt)
      throw badRequest(
        'deadline',
        'problem.deadline_before_opening',
        { deadline, opensAt },
        `deadline: the deadline (${local(deadline)}) must be after the opening (${local(opensAt)}).`,
      );
    if (graceUntil < deadline)
      throw badRequest(
        'graceUntil',
        'problem.grace_before_deadline',
        { graceUntil, deadline },
        'graceUntil: the grace window cannot end before the deadline.',
      );

    const round = await this.rounds.createRound({ planId, year: input.year, opensAt, deadline, graceUntil });
    if (!round) {
      const existing = await this.rounds.findRoundByYear(planId, input.year);
      throw new Refusal(
        409,
        'problem.round_exists',
        { year: input.year },
        `The plan already has a round for ${input.year} (round ${existing?.id}, ${existing?.state}); extend or close that one instead.`,
      );
    }
    if (opensAt <= now) await this.open(round.id);
    return (await this.rounds.findRound(round.id))!;
  }

  async get(roundId: number): Promise<RoundWithPlan> {
    const round = await this.rounds.findRound(roundId);
    if (!round) throw notFound('problem.no_round', { id: roundId }, `There is no round with id ${roundId}.`);
    return round;
  }

  /**
   * Opens a round: one request per organisation with open milestones in scope, and its digest.
   *
   * The 'open' step is claimed once (with an 'opening' marker) in a short transaction; the
   * requests are then written in chunks of `openingChunkSize` organisations, each chunk (requests,
   * their milestones and their digests in the outbox) in its own transaction and enqueued as soon
   * as it commits, so memory stays bounded by a chunk and delivery starts after the first one. A
   * chunk writes only organisations that have no request in the round yet, so an opening
   * interrupted by a crash is finished by the next tick (or a second POST …/open), and two
   * instances finishing the same opening take turns: each organisation gets its request once.
   */
  async open(roundId: number): Promise<{ opened: boolean; requests: number }> {
    const round = await this.get(roundId);
    if (round.state === 'closed') throw new ConflictException(`Round ${roundId} is closed.`);
    const now = this.clock.now();
    const claimed = await this.rounds.transaction(async (tx) => {
      if (!(await this.rounds.claimStep(tx, roundId, 'open'))) return false;
      await this.rounds.claimStep(tx, roundId, OPENING);
      await this.rounds.setRoundState(tx, roundId, ['scheduled'], { state: 'open', openedAt: now });
      return true;
    });
    // Opened before, or being opened by another instance (or one that died doing it): help finish.
    const result = await this.finishOpening(round);
    if (!claimed) return { opened: false, requests: 0 };
    this.logger.log(`round ${roundId} (${round.year}) opened: ${result?.requests ?? 0} requests, ${result?.messages ?? 0} messages`);
    return { opened: true, requests: result?.requests ?? 0 };
  }

  /** Organisations per transaction when a round opens (see open()). */
  openingChunkSize = 500;

  /**
   * Writes the requests still missing from a round whose opening has not finished (returns null if
   * it has), chunk by chunk, then closes the opening: exactly one instance removes the marker and
   * tells the secretariat about organisations without contacts.
   */
  private async finishOpening(round: RoundWithPlan): Promise<{ requests: number; messages: number } | null> {
    if (!(await this.rounds.doneSteps(round.id)).has(OPENING)) return null;
    const asked = await this.rounds.askedOrganisations(round.planId, round.year);
    let requests = 0;
    let messages = 0;
    for (let i = 0; i < asked.length; i += this.openingChunkSize) {
      const chunk = asked.slice(i, i + this.openingChunkSize);
      const written = await this.rounds.transaction((tx) => this.openChunk(tx, round, chunk));
      await this.delivery.enqueue(written.outboxIds);
      requests += written.requests;
      messages += written.outboxIds.length;
    }
    const outboxIds = await this.rounds.transaction(async (tx) => {
      if (!(await this.rounds.unclaimStep(tx, round.id, OPENING))) return [];
      if ((await this.rounds.countRequests(tx, round.id, 'no_contact')) === 0) return [];
      return this.outbox.add(
        tx,
        [await this.secretariatSummary(tx, round, 'pending-summary', `round:${round.id}:no-contact`)],
        this.messageIdDomain(),
      );
    });
    await this.delivery.enqueue(outboxIds);
    return { requests, messages: messages + outboxIds.length };
  }

  /**
   * One chunk of an opening, in the caller's transaction: for each of these organisations that has
   * no request in the round yet and still has something due, its request, the milestones it is
   * asked about and its digest in the outbox — all of it or nothing.
   */
  private async openChunk(tx: Tx, round: RoundWithPlan, organisationIds: number[]): Promise<{ outboxIds: number[]; requests: number }> {
    await this.rounds.lockOpening(tx, round.id);
    const todo = await this.rounds.withoutRequest(tx, round.id, organisationIds);
    if (todo.length === 0) return { outboxIds: [], requests: 0 };
    const scope = await this.rounds.scope(tx, round.planId, round.year, todo);
    const byOrganisation = new Map<number, ScopeRow[]>();
    for (const row of scope) {
      const rows = byOrganisation.get(row.organisationId);
      if (rows) rows.push(row);
      else byOrganisation.set(row.organisationId, [row]);
    }
    // Only organisations with something due are asked; later milestones ride along as optional.
    const asked = todo.filter((id) => byOrganisation.get(id)?.some((row) => row.required));
    const organisations = new Map((await this.rounds.organisationsWithContacts(tx, asked)).map((o) => [o.id, o]));
    const planned = new Map(
      asked.map((organisationId) => {
        const nonce = this.links.newNonce();
        const request: NewRequest = {
          organisationId,
          tokenNonce: nonce,
          tokenHash: SignedLinks.hash(this.links.token(nonce)),
          replyKeyHash: SignedLinks.hash(this.links.replyKey(nonce)),
          status: organisations.get(organisationId)!.contacts.length > 0 ? 'sent' : 'no_contact',
        };
        return [organisationId, request];
      }),
    );
    const created = (await this.rounds.createRequests(tx, round.id, round.graceUntil, [...planned.values()])).sort((a, b) => a.id - b.id);

    const digests: DigestRequest[] = created.map((request) => {
      const rows = byOrganisation.get(request.organisationId)!;
      const organisation = organisations.get(request.organisationId)!;
      const { tokenNonce } = planned.get(request.organisationId)!;
      return {
        id: request.id,
        status: request.status,
        tokenNonce,
        organisation: { name: organisation.name, language: organisation.language, contacts: organisation.contacts },
        milestones: [...rows.filter((row) => row.required), ...rows.filter((row) => !row.required)].map((row, index) => ({
          ...row,
          number: index + 1,
          optional: !row.required,
          answeredAt: null,
        })),
      };
    });
    await this.rounds.createRequestMilestones(
      tx,
      digests.flatMap((request) =>
        request.milestones.map((row) => ({
          requestId: request.id,
          milestoneId: row.milestoneId,
          number: row.number,
          optional: row.optional,
        })),
      ),
    );
    const messages = digests
      .filter((request) => request.status === 'sent')
      .map((request) => this.digest(round, request, 'status-request', `round:${round.id}:request:${request.id}:status-request`));
    const outboxIds = await this.outbox.add(tx, messages, this.messageIdDomain());
    return { outboxIds, requests: created.length };
  }

  /** The status request or a reminder for one organisation: only what it still owes, for reminders. */
  private digest(
    round: RoundWithPlan,
    request: DigestRequest,
    template: 'status-request' | 'reminder',
    dedupeKey: string,
    reminder?: { step: 'before' | 'overdue'; daysLeft: number },
  ): NewOutboxMessage {
    const milestones = request.milestones.filter((row) => !row.optional && (template === 'status-request' || row.answeredAt === null));
    // Over the request's whole list, so a reminder listing fewer milestones shows the same references.
    const references = digestReferences(request.milestones);
    return {
      dedupeKey,
      template,
      language: request.organisation.language,
      recipients: request.organisation.contacts,
      requestId: request.id,
      roundId: round.id,
      data: {
        organisation: { name: request.organisation.name },
        plan: { title: round.plan.title },
        round: { year: round.year, deadline: round.deadline.toISOString(), graceUntil: round.graceUntil.toISOString() },
        milestones: milestones.map((row) => ({
          number: row.number,
          label: row.label,
          reference: row.label === null ? null : (references.get(row.number) ?? null),
          text: row.text,
          dueFrom: row.dueFrom,
          dueTo: row.dueTo,
          state: row.state,
          goalNumber: row.goalNumber,
          interventionCode: row.interventionCode,
          lastComment: row.lastComment,
        })),
        // The answer link and the reply address are derived from the nonce when the mail is
        // composed, so the outbox never holds either secret.
        answerNonce: request.tokenNonce,
        ...(reminder ? { reminder } : {}),
      },
    };
  }

  private messageIdDomain(): string {
    return this.config.get('MAIL_FROM').split('@')[1]!;
  }

  /** Who has not answered and what is outstanding, for the secretariat. */
  private async secretariatSummary(
    tx: Tx,
    round: RoundWithPlan,
    template: 'escalation' | 'pending-summary',
    dedupeKey: string,
  ): Promise<NewOutboxMessage> {
    const requests = await this.rounds.requestSummaries(round.id, tx);
    const pending = requests
      .map((request) => {
        const status = requestStanding(request);
        const outstanding = request.required - request.answered;
        return status === 'answered' ? null : { name: request.name, outstanding, status, lastMessageAt: null };
      })
      .filter((row) => row !== null);
    const answered = requests.length - pending.length;
    return {
      dedupeKey,
      template,
      language: this.config.get('SECRETARIAT_LANGUAGE'),
      recipients: this.config.get('SECRETARIAT_EMAIL'),
      roundId: round.id,
      data: {
        plan: { title: round.plan.title },
        round: { year: round.year, deadline: round.deadline.toISOString(), graceUntil: round.graceUntil.toISOString() },
        totals: {
          expected: requests.length,
          answered,
          missing: pending.length,
          outstandingMilestones: pending.reduce((sum, row) => sum + row.outstanding, 0),
        },
        pending,
        dashboardUrl: `${this.config.get('PUBLIC_URL')}/rounds/${round.id}`,
      },
    };
  }

  /**
   * Carries out every step that is due: the yearly round, openings, reminders, the escalation
   * and closing. Each round is handled on its own, so one failing round does not stop the others.
   */
  async advance(now = this.clock.now()): Promise<{ round: number; step: string; messages: number }[]> {
    const done: { round: number; step: string; messages: number }[] = [];
    await this.ensureYearlyRound(now).catch((error: Error) => this.logger.error(`yearly round: ${error.message}`));
    for (const round of await this.rounds.findActiveRounds()) {
      try {
        if (round.state === 'scheduled') {
          if (round.opensAt > now) continue;
          const opened = await this.open(round.id);
          if (opened.opened) done.push({ round: round.id, step: 'open', messages: opened.requests });
        }
        const fresh = (await this.rounds.findRound(round.id))!;
        let finished = await this.rounds.doneSteps(round.id);
        if (finished.has(OPENING)) {
          // An opening that did not finish (its process died, or it is still running elsewhere).
          const resumed = await this.finishOpening(fresh);
          if (resumed && resumed.requests > 0) this.logger.log(`round ${round.id}: opening finished, ${resumed.requests} more requests`);
          finished = await this.rounds.doneSteps(round.id);
        }
        for (const planned of plannedSteps(fresh, this.settings())) {
          if (planned.at > now || finished.has(planned.step) || planned.step === 'open') continue;
          const messages = await this.runStep(fresh, planned.step, now);
          if (messages >= 0) done.push({ round: round.id, step: planned.step, messages });
          if (planned.step === 'close') break;
        }
      } catch (error) {
        this.logger.error(`round ${round.id}: ${(error as Error).message}`);
      }
    }
    return done;
  }

  private settings() {
    return { reminderDays: this.config.get('REMINDER_DAYS'), escalationDays: this.config.get('ESCALATION_DAYS'), timeZone: this.timeZone };
  }

  /** One step in one transaction; returns the number of messages, or -1 when another instance did it. */
  private async runStep(round: RoundWithPlan, step: RoundStepName, now: Date): Promise<number> {
    const offset = reminderOffset(step);
    const outboxIds = await this.rounds.transaction(async (tx) => {
      if (!(await this.rounds.claimStep(tx, round.id, step))) return null;
      if (offset !== null)
        return this.reminders(tx, round, `reminder:${offset}`, { step: offset > 0 ? 'overdue' : 'before', daysLeft: -offset });
      if (step === 'close') {
        await this.rounds.setRoundState(tx, round.id, ['open'], { state: 'closed', closedAt: now });
        return [];
      }
      return this.outbox.add(
        tx,
        [await this.secretariatSummary(tx, round, 'escalation', `round:${round.id}:escalation`)],
        this.messageIdDomain(),
      );
    });
    if (outboxIds === null) return -1;
    await this.delivery.enqueue(outboxIds);
    return outboxIds.length;
  }

  /** Reminders to every organisation that still owes answers; those that have answered get none. */
  private async reminders(
    tx: Tx,
    round: RoundWithPlan,
    step: string,
    reminder: { step: 'before' | 'overdue'; daysLeft: number },
    organisationId?: number,
    skip: ReadonlySet<number> = new Set(),
  ): Promise<number[]> {
    const rows = (await this.rounds.reminderRows(tx, round.id, organisationId)).filter((row) => !skip.has(row.requestId));
    if (rows.length === 0) return [];
    const organisations = await this.rounds.organisationsWithContacts(tx, [...new Set(rows.map((row) => row.organisationId))]);
    const comments = await this.rounds.lastComments(tx, round.id, organisationId);
    const requests = toDigestRequests(rows, new Map(organisations.map((o) => [o.id, o])), comments);
    const messages = requests.map((request) =>
      this.digest(round, request, 'reminder', `round:${round.id}:request:${request.id}:${step}`, reminder),
    );
    await this.rounds.markReminded(
      tx,
      requests.map((request) => request.id),
      this.clock.now(),
    );
    return this.outbox.add(tx, messages, this.messageIdDomain());
  }

  /**
   * "Send the reminder now" from the secretariat: to everyone missing, or to one organisation. An
   * organisation reminded within REMINDER_QUIET_HOURS is skipped (and listed) unless `confirm`, so
   * "remind one" followed by "remind all" does not send it a second reminder by accident.
   */
  async remindNow(
    roundId: number,
    organisationId?: number,
    options: { confirm?: boolean } = {},
  ): Promise<{ reminded: number; skipped: { organisation: { id: number; name: string }; lastRemindedAt: Date }[] }> {
    const round = await this.get(roundId);
    if (round.state !== 'open')
      throw new Refusal(
        409,
        'problem.round_not_open',
        { year: round.year },
        `Round ${roundId} is ${round.state}; reminders go out only while it is open.`,
      );
    const now = this.clock.now();
    const daysLeft = Math.ceil((round.deadline.getTime() - now.getTime()) / 86_400_000);
    const quietSince = addHours(now, -this.config.get('REMINDER_QUIET_HOURS'));
    const { outboxIds, skipped } = await this.rounds.transaction(async (tx) => {
      const recent = options.confirm ? [] : await this.rounds.remindedSince(tx, roundId, quietSince, organisationId);
      const outboxIds = await this.reminders(
        tx,
        round,
        `reminder:manual:${now.toISOString()}`,
        { step: daysLeft > 0 ? 'before' : 'overdue', daysLeft },
        organisationId,
        new Set(recent.map((request) => request.id)),
      );
      return { outboxIds, skipped: recent };
    });
    await this.delivery.enqueue(outboxIds);
    return {
      reminded: outboxIds.length,
      skipped: skipped.map((request) => ({
        organisation: { id: request.organisationId, name: request.name },
        lastRemindedAt: request.lastRemindedAt!,
      })),
    };
  }

  /** Moves the deadline (and the grace window) later; a closed round is reopened instead, within its window. */
  async extend(roundId: number, input: { deadline: string; graceUntil?: string; reason?: string }, actor = 'api') {
    const round = await this.get(roundId);
    if (round.state === 'closed') return this.reopen(roundId, { ...input, reason: input.reason ?? '' }, actor);
    const { deadline, graceUntil } = this.laterDates(round, input);
    const now = this.clock.now();
    await this.rounds.transaction(async (tx) => {
      await this.rounds.updateRound(roundId, { deadline, graceUntil }, tx);
      await this.rounds.extendRequests(tx, roundId, graceUntil);
      await this.rounds.addEvent(tx, {
        roundId,
        kind: 'extended',
        actor,
        reason: input.reason?.trim() || null,
        deadline,
        graceUntil,
        at: now,
      });
    });
    return this.get(roundId);
  }

  /**
   * Undoes a close: the round is open again (scheduled, if it never opened) with a new deadline,
   * answer links work again until the new grace window ends, and the schedule closes it then. Only
   * within ROUND_REOPEN_DAYS of closing, and with a reason that goes in the round's history.
   */
  async reopen(roundId: number, input: { deadline: string; graceUntil?: string; reason: string }, actor = 'api') {
    const round = await this.get(roundId);
    if (round.state !== 'closed')
      throw new Refusal(409, 'problem.reopen_not_closed', { year: round.year }, `Round ${roundId} is ${round.state}, not closed.`);
    const reason = input.reason.trim();
    if (!reason || reason.length > 500) throw badRequest('reason', 'problem.reason_required', {}, 'reason: say why (1 to 500 characters).');
    const now = this.clock.now();
    const days = this.config.get('ROUND_REOPEN_DAYS');
    const until = addDays(round.closedAt ?? now, days);
    if (now > until)
      throw new Refusal(
        409,
        'problem.reopen_too_late',
        { year: round.year, closedAt: round.closedAt, until },
        `Round ${roundId} closed on ${localDate(round.closedAt!, this.timeZone)}; it can be reopened only within ${days} days of closing.`,
      );
    const { deadline, graceUntil } = this.laterDates(round, input, now);
    await this.rounds.transaction(async (tx) => {
      const reopened = await this.rounds.setRoundState(tx, roundId, ['closed'], {
        state: round.openedAt ? 'open' : 'scheduled',
        closedAt: null,
        deadline,
        graceUntil,
      });
      if (!reopened) throw new Refusal(409, 'problem.reopen_not_closed', { year: round.year }, `Round ${roundId} is not closed.`);
      // The schedule closes it again when the new grace window ends.
      await this.rounds.unclaimStep(tx, roundId, 'close');
      await this.rounds.extendRequests(tx, roundId, graceUntil);
      await this.rounds.addEvent(tx, { roundId, kind: 'reopened', actor, reason, deadline, graceUntil, at: now });
    });
    this.logger.log(`round ${roundId} (${round.year}) reopened by ${actor}: ${reason}`);
    return this.get(roundId);
  }

  /** A new deadline (after the current one and after now) and its grace window. */
  private laterDates(round: RoundWithPlan, input: { deadline: string; graceUntil?: string }, now = this.clock.now()) {
    const deadline = this.parseDate('deadline', input.deadline, 'end');
    const local = (instant: Date) => localDate(instant, this.timeZone);
    if (deadline <= round.deadline)
      throw badRequest(
        'deadline',
        'problem.extend_not_later',
        { deadline, current: round.deadline },
        `deadline: the new deadline (${local(deadline)}) must be after the current one (${local(round.deadline)}).`,
      );
    if (deadline <= now)
      throw badRequest(
        'deadline',
        'problem.deadline_passed',
        { deadline, today: now },
        `deadline: ${local(deadline)} has already passed (today is ${local(now)}).`,
      );
    const graceUntil = input.graceUntil
      ? this.parseDate('graceUntil', input.graceUntil, 'end')
      : addDays(deadline, this.config.get('GRACE_DAYS'));
    if (graceUntil < deadline)
      throw badRequest(
        'graceUntil',
        'problem.grace_before_deadline',
        { graceUntil, deadline },
        'graceUntil: the grace window cannot end before the deadline.',
      );
    return { deadline, graceUntil };
  }

  /**
   * Closes a round by hand. Closed before its grace window ended, it is an early close: the
   * automatic annual report does not take it for a round that ended (AnnualReportRepository).
   */
  async close(roundId: number, actor = 'api', reason?: string) {
    const round = await this.get(roundId);
    if (round.state === 'closed') return round;
    const now = this.clock.now();
    await this.rounds.transaction(async (tx) => {
      await this.rounds.claimStep(tx, roundId, 'close');
      if (await this.rounds.setRoundState(tx, roundId, ['scheduled', 'open'], { state: 'closed', closedAt: now }))
        await this.rounds.addEvent(tx, { roundId, kind: 'closed', actor, reason: reason?.trim() || null, at: now });
    });
    return this.get(roundId);
  }

  /** What was done to a round by hand, oldest first. */
  events(roundId: number) {
    return this.rounds.events(roundId);
  }

  /** The yearly round opens by itself on ROUND_OPENS_ON for the current plan, if it has none yet. */
  private async ensureYearlyRound(now: Date): Promise<void> {
    if (!this.config.get('YEARLY_ROUND')) return;
    const year = Number(new Intl.DateTimeFormat('en', { timeZone: this.timeZone, year: 'numeric' }).format(now));
    const plan = (await this.plans.listPlans()).find((p) => p.periodFrom <= year && year <= p.periodTo);
    if (!plan) return;
    const opensAt = startOfDay(`${year}-${this.config.get('ROUND_OPENS_ON')}`, this.timeZone);
    const deadline = endOfDay(`${year}-${this.config.get('ROUND_DEADLINE_ON')}`, this.timeZone);
    if (now < opensAt || deadline <= opensAt || now >= deadline) return;
    const created = await this.rounds.createRound({
      planId: plan.id,
      year,
      opensAt,
      deadline,
      graceUntil: addDays(deadline, this.config.get('GRACE_DAYS')),
    });
    if (created) this.logger.log(`yearly round ${year} created for plan ${plan.id}`);
  }

  /** A round with the state of every request, as the secretariat sees it. */
  async detail(roundId: number) {
    const round = await this.get(roundId);
    const now = this.clock.now();
    const requests = (await this.rounds.roundRequests(roundId)).map((request) => {
      const standing = requestStanding(request);
      const state =
        standing === 'no_contact' || standing === 'bounced' || standing === 'answered'
          ? standing
          : now > round.deadline
            ? 'overdue'
            : request.remindersSent > 0
              ? 'reminded'
              : 'sent';
      return {
        id: request.id,
        organisation: { id: request.organisationId, name: request.organisationName, language: request.organisationLanguage },
        state,
        late: request.late,
        answeredAt: request.answeredAt,
        milestones: { required: request.required, answered: request.answered, optional: request.optional },
        remindersSent: request.remindersSent,
        lastMessageAt: request.lastMessageAt,
        deliveryError: request.deliveryError,
        // Whether replies by email reach this request; the address itself is a secret.
        replyAddress: true,
      };
    });
    const count = (state: string) => requests.filter((r) => r.state === state).length;
    return {
      ...roundHeader(round),
      totals: {
        expected: requests.length,
        answered: count('answered'),
        answeredLate: requests.filter((r) => r.state === 'answered' && r.late).length,
        missing: requests.length - count('answered'),
        noContact: count('no_contact'),
        bounced: count('bounced'),
      },
      requests,
    };
  }

  /**
   * A round with its totals, counted in the database, without the list of requests (which
   * GET /api/rounds/:id gives): what opening a round answers, whatever the round's size.
   */
  async overview(roundId: number) {
    const round = await this.get(roundId);
    const requests = await this.rounds.requestSummaries(roundId);
    const answered = requests.filter((r) => requestStanding(r) === 'answered');
    return {
      ...roundHeader(round),
      totals: {
        expected: requests.length,
        answered: answered.length,
        answeredLate: answered.filter((r) => r.late).length,
        missing: requests.length - answered.length,
        noContact: requests.filter((r) => r.status === 'no_contact').length,
        bounced: requests.filter((r) => r.status === 'bounced').length,
      },
    };
  }

  async list(planId?: number) {
    return this.rounds.listRounds(await this.plans.resolvePlanId(planId));
  }
}

/** What a round's list of requests can be narrowed to: a request state, or "missing" (every request not answered). */
export const REQUEST_FILTERS = ['missing', 'sent', 'reminded', 'answered', 'overdue', 'bounced', 'no_contact'] as const;
export type RequestFilter = (typeof REQUEST_FILTERS)[number];

export function requestMatches(request: { state: string }, filter: RequestFilter | 'all'): boolean {
  return filter === 'all' || (filter === 'missing' ? request.state !== 'answered' : request.state === filter);
}

/** What every view of a round starts with: which round it is and its dates. */
function roundHeader(round: RoundWithPlan) {
  return {
    id: round.id,
    plan: { id: round.plan.id, title: round.plan.title },
    year: round.year,
    state: round.state,
    opensAt: round.opensAt,
    deadline: round.deadline,
    graceUntil: round.graceUntil,
    openedAt: round.openedAt,
    closedAt: round.closedAt,
  };
}
