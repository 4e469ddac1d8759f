import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { addDays, Clock } from '../common/clock.js';
import { parseDayOrInstant, startOfDay, endOfDay } from '../common/dates.js';
import { SignedLinks } from '../common/signed-links.js';
import { AppConfig } from '../config/config.module.js';
import type { Tx } from '../database/prisma.service.js';
import type { ReportingRound } from '../generated/prisma/client.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import { OutboxRepository, type NewOutboxMessage } from '../mail/outbox.repository.js';
import { PlanService } from '../plan/plan.service.js';
import { plannedSteps, reminderOffset, type RoundStepName } from './round-schedule.js';
import { RoundsRepository, type RequestDetail } from './rounds.repository.js';

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

/**
 * Reporting rounds: who is asked what, and when they are reminded. Every decision to send mail
 * is an outbox row written in the same transaction as the step that caused it, guarded by a
 * unique (round, step) row, so a step happens once however many instances race for it.
 */
@Injectable()
export class RoundsService {
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

  private get timeZone(): string {
    return this.config.get('TZ');
  }

  async create(input: CreateRound): Promise<ReportingRound> {
    const planId = await this.plans.resolvePlanId(input.plan);
    const plan = (await this.plans.listPlans()).find((p) => p.id === planId)!;
    if (input.year < plan.periodFrom || input.year > plan.periodTo) {
      throw new BadRequestException(`year: ${input.year} is outside the plan period ${plan.periodFrom}-${plan.periodTo}.`);
    }
    const now = this.clock.now();
    const opensAt = input.opensAt ? parseDayOrInstant(input.opensAt, 'start', this.timeZone) : now;
    const deadline = parseDayOrInstant(input.deadline, 'end', this.timeZone);
    const graceUntil = input.graceUntil ? parseDayOrInstant(input.graceUntil, 'end', this.timeZone) : addDays(deadline, this.config.get('GRACE_DAYS'));
    if (deadline <= opensAt) throw new BadRequestException(`deadline: ${deadline.toISOString()} is not after the opening ${opensAt.toISOString()}.`);
    if (graceUntil < deadline) throw new BadRequestException('graceUntil: the grace window cannot end before the deadline.');
    if (deadline <= now) throw new BadRequestException(`deadline: ${deadline.toISOString()} has already passed.`);

    const round = await this.rounds.createRound({ planId, year: input.year, opensAt, deadline, graceUntil });
    if (!round) {
      const existing = await this.rounds.findRoundByYear(planId, input.year);
      throw new ConflictException(`The plan already has a round for ${input.year} (round ${existing?.id}, ${existing?.state}); extend or close that one instead.`);
    }
    if (opensAt <= now) await this.open(round.id);
    return (await this.rounds.findRound(round.id))!;
  }

  async get(roundId: number): Promise<RoundWithPlan> {
    const round = await this.rounds.findRound(roundId);
    if (!round) throw new NotFoundException(`There is no round with id ${roundId}.`);
    return round;
  }

  /** Opens a round: one request per organisation with open milestones in scope, and its digest. */
  async open(roundId: number): Promise<{ opened: boolean; requests: number }> {
    const round = await this.get(roundId);
    if (round.state === 'closed') throw new ConflictException(`Round ${roundId} is closed.`);
    const now = this.clock.now();
    const { outboxIds, requests } = await this.rounds.transaction(async (tx) => {
      if (!(await this.rounds.claimStep(tx, roundId, 'open'))) return { outboxIds: [], requests: -1 };
      await this.rounds.setRoundState(tx, roundId, ['scheduled'], { state: 'open', openedAt: now });
      return this.createRequests(tx, round);
    });
    await this.delivery.enqueue(outboxIds);
    if (requests >= 0) this.logger.log(`round ${roundId} (${round.year}) opened: ${requests} requests, ${outboxIds.length} messages`);
    return { opened: requests >= 0, requests: Math.max(requests, 0) };
  }

  private async createRequests(tx: Tx, round: RoundWithPlan) {
    const scope = await this.rounds.scope(tx, round.planId, round.year);
    const byOrganisation = new Map<number, typeof scope>();
    for (const row of scope) byOrganisation.set(row.organisationId, [...(byOrganisation.get(row.organisationId) ?? []), row]);
    // Only organisations with something due are asked; later milestones ride along as optional.
    const asked = [...byOrganisation.entries()].filter(([, rows]) => rows.some((row) => row.required));
    const organisations = new Map((await this.rounds.organisationsWithContacts(tx, asked.map(([id]) => id))).map((o) => [o.id, o]));

    const created = await this.rounds.createRequests(
      tx,
      asked.map(([organisationId]) => {
        const nonce = this.links.newNonce();
        return {
          roundId: round.id,
          organisationId,
          tokenNonce: nonce,
          tokenHash: SignedLinks.hash(this.links.token(nonce)),
          replyKey: this.links.newNonce().replace(/[^a-zA-Z0-9]/g, '').slice(0, 16).toLowerCase(),
          expiresAt: round.graceUntil,
          status: organisations.get(organisationId)!.contacts.length > 0 ? ('sent' as const) : ('no_contact' as const),
        };
      }),
    );
    const requestOf = new Map(created.map((request) => [request.organisationId, request.id]));
    await this.rounds.createRequestMilestones(
      tx,
      asked.flatMap(([organisationId, rows]) =>
        [...rows.filter((row) => row.required), ...rows.filter((row) => !row.required)].map((row, index) => ({
          requestId: requestOf.get(organisationId)!,
          milestoneId: row.milestoneId,
          number: index + 1,
          optional: !row.required,
        })),
      ),
    );

    const details = await this.rounds.requestDetails(tx, { roundId: round.id, status: 'sent' });
    const comments = await this.rounds.lastComments(tx, details.flatMap((d) => d.milestones.map((m) => m.milestoneId)));
    const messages: NewOutboxMessage[] = details.map((request) => this.digest(round, request, comments, 'status-request', `round:${round.id}:request:${request.id}:status-request`));
    const withoutContact = created.filter((request) => request.status === 'no_contact');
    if (withoutContact.length > 0) messages.push(await this.secretariatSummary(tx, round, 'pending-summary', `round:${round.id}:no-contact`));
    const outboxIds = await this.outbox.add(tx, messages, this.messageIdDomain());
    return { outboxIds, requests: created.length };
  }

  /** The status request or a reminder for one organisation: only what it still owes, for reminders. */
  private digest(
    round: RoundWithPlan,
    request: RequestDetail,
    comments: Map<number, string>,
    template: 'status-request' | 'reminder',
    dedupeKey: string,
    reminder?: { step: 'before' | 'overdue'; daysLeft: number },
  ): NewOutboxMessage {
    const milestones = request.milestones.filter((row) => !row.optional && (template === 'status-request' || row.answeredAt === null));
    return {
      dedupeKey,
      template,
      language: request.organisation.language,
      recipients: request.organisation.contacts.map((contact) => contact.email),
      replyTo: this.replyAddress(request.replyKey),
      requestId: request.id,
      roundId: round.id,
      data: {
        organisation: { name: request.organisation.name },
        plan: { title: round.plan.title },
        round: { year: round.year, deadline: round.deadline.toISOString(), graceUntil: round.graceUntil.toISOString() },
        milestones: milestones.map((row) => ({
          number: row.number,
          label: row.milestone.label,
          text: row.milestone.text,
          dueFrom: row.milestone.dueFrom,
          dueTo: row.milestone.dueTo,
          state: row.milestone.state,
          goalNumber: row.milestone.contribution.goal.number,
          interventionCode: row.milestone.contribution.intervention?.code ?? null,
          lastComment: comments.get(row.milestoneId) ?? null,
        })),
        answerNonce: request.tokenNonce,
        replyAddress: this.replyAddress(request.replyKey),
        ...(reminder ? { reminder } : {}),
      },
    };
  }

  replyAddress(replyKey: string): string {
    return `reports+${replyKey}@${this.config.get('INBOUND_DOMAIN')}`;
  }

  private messageIdDomain(): string {
    return this.config.get('MAIL_FROM').split('@')[1]!;
  }

  /** Who has not answered and what is outstanding, for the secretariat. */
  private async secretariatSummary(tx: Tx, round: RoundWithPlan, template: 'escalation' | 'pending-summary', dedupeKey: string): Promise<NewOutboxMessage> {
    const requests = await this.rounds.requestDetails(tx, { roundId: round.id });
    const pending = requests
      .map((request) => {
        const outstanding = request.milestones.filter((row) => !row.optional && row.answeredAt === null).length;
        const required = request.milestones.filter((row) => !row.optional).length;
        const status =
          request.status === 'no_contact' || request.status === 'bounced'
            ? request.status
            : request.status === 'answered' || outstanding === 0
              ? null
              : outstanding < required
                ? ('partial' as const)
                : ('missing' as const);
        return status === null ? null : { name: request.organisation.name, outstanding, status, lastMessageAt: null };
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
        const finished = await this.rounds.doneSteps(round.id);
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
    const outboxIds = await this.rounds.transaction(async (tx) => {
      if (!(await this.rounds.claimStep(tx, round.id, step))) return null;
      if (step === 'close') {
        await this.rounds.setRoundState(tx, round.id, ['open'], { state: 'closed', closedAt: now });
        return [];
      }
      if (step === 'escalation') {
        return this.outbox.add(tx, [await this.secretariatSummary(tx, round, 'escalation', `round:${round.id}:escalation`)], this.messageIdDomain());
      }
      const offset = reminderOffset(step)!;
      return this.reminders(tx, round, `reminder:${offset}`, { step: offset > 0 ? 'overdue' : 'before', daysLeft: -offset });
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
  ): Promise<number[]> {
    const requests = await this.rounds.requestDetails(tx, {
      roundId: round.id,
      status: 'sent',
      organisationId,
      milestones: { some: { optional: false, answeredAt: null } },
    });
    const comments = await this.rounds.lastComments(tx, requests.flatMap((r) => r.milestones.map((m) => m.milestoneId)));
    const messages = requests.map((request) => this.digest(round, request, comments, 'reminder', `round:${round.id}:request:${request.id}:${step}`, reminder));
    return this.outbox.add(tx, messages, this.messageIdDomain());
  }

  /** "Send the reminder now" from the secretariat: to everyone missing, or to one organisation. */
  async remindNow(roundId: number, organisationId?: number): Promise<{ reminded: number }> {
    const round = await this.get(roundId);
    if (round.state !== 'open') throw new ConflictException(`Round ${roundId} is ${round.state}; reminders go out only while it is open.`);
    const now = this.clock.now();
    const daysLeft = Math.ceil((round.deadline.getTime() - now.getTime()) / 86_400_000);
    const outboxIds = await this.rounds.transaction((tx) =>
      this.reminders(tx, round, `reminder:manual:${now.toISOString()}`, { step: daysLeft > 0 ? 'before' : 'overdue', daysLeft }, organisationId),
    );
    await this.delivery.enqueue(outboxIds);
    return { reminded: outboxIds.length };
  }

  async extend(roundId: number, input: { deadline: string; graceUntil?: string }) {
    const round = await this.get(roundId);
    if (round.state === 'closed') throw new ConflictException(`Round ${roundId} is closed and cannot be extended.`);
    const deadline = parseDayOrInstant(input.deadline, 'end', this.timeZone);
    if (deadline <= round.deadline) throw new BadRequestException(`deadline: the new deadline must be after the current one (${round.deadline.toISOString()}).`);
    const graceUntil = input.graceUntil ? parseDayOrInstant(input.graceUntil, 'end', this.timeZone) : addDays(deadline, this.config.get('GRACE_DAYS'));
    if (graceUntil < deadline) throw new BadRequestException('graceUntil: the grace window cannot end before the deadline.');
    await this.rounds.transaction(async (tx) => {
      await this.rounds.updateRound(roundId, { deadline, graceUntil }, tx);
      await this.rounds.extendRequests(tx, roundId, graceUntil);
    });
    return this.get(roundId);
  }

  async close(roundId: number) {
    const round = await this.get(roundId);
    if (round.state === 'closed') return round;
    const now = this.clock.now();
    await this.rounds.transaction(async (tx) => {
      await this.rounds.claimStep(tx, roundId, 'close');
      await this.rounds.setRoundState(tx, roundId, ['scheduled', 'open'], { state: 'closed', closedAt: now });
    });
    return this.get(roundId);
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
    const created = await this.rounds.createRound({ planId: plan.id, year, opensAt, deadline, graceUntil: addDays(deadline, this.config.get('GRACE_DAYS')) });
    if (created) this.logger.log(`yearly round ${year} created for plan ${plan.id}`);
  }

  /** A round with the state of every request, as the secretariat sees it. */
  async detail(roundId: number) {
    const round = await this.get(roundId);
    const now = this.clock.now();
    const requests = (await this.rounds.roundRequests(roundId)).map((request) => {
      const required = request.milestones.filter((m) => !m.optional);
      const answered = required.filter((m) => m.answeredAt !== null).length;
      const reminders = request.messages.filter((m) => m.template === 'reminder' && m.status === 'sent').length;
      const fullyAnswered = request.status === 'answered' || (required.length > 0 && answered === required.length);
      const state =
        request.status === 'no_contact' || request.status === 'bounced'
          ? request.status
          : fullyAnswered
            ? 'answered'
            : now > round.deadline
              ? 'overdue'
              : reminders > 0
                ? 'reminded'
                : 'sent';
      const sentTimes = request.messages.map((m) => m.sentAt).filter((t): t is Date => t !== null);
      return {
        id: request.id,
        organisation: request.organisation,
        state,
        late: request.late,
        answeredAt: request.answeredAt,
        milestones: { required: required.length, answered, optional: request.milestones.length - required.length },
        remindersSent: reminders,
        lastMessageAt: sentTimes.length ? new Date(Math.max(...sentTimes.map((t) => t.getTime()))) : null,
        deliveryError: request.deliveryError,
        replyAddress: this.replyAddress(request.replyKey),
      };
    });
    const count = (state: string) => requests.filter((r) => r.state === state).length;
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

  async list(planId?: number) {
    return this.rounds.listRounds(await this.plans.resolvePlanId(planId));
  }
}
