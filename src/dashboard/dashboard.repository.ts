import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { Clock } from '../common/clock.js';
import { Database } from '../database/database.js';
import { STATES_NEEDING_REASON } from '../progress/progress-rule.js';

/** The few reads and writes only the dashboard needs. */
@Injectable()
export class DashboardRepository {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /** Organisations of the plan with a placeholder contact address: a round would mail placeholders. */
  placeholderContacts(planId: number) {
    return this.database.db
      .selectFrom('Organisation as o')
      .innerJoin('Contact as k', 'k.organisationId', 'o.id')
      .select(['o.id', 'o.name', 'k.email'])
      .where('k.placeholder', '=', true)
      .where((eb) =>
        eb.exists(
          eb.selectFrom('Contribution as c').select('c.id').whereRef('c.organisationId', '=', 'o.id').where('c.planId', '=', planId),
        ),
      )
      .orderBy('o.name')
      .orderBy('k.email')
      .execute();
  }

  async filterChoices(planId: number) {
    const db = this.database.db;
    const [goals, interventions, organisations] = await Promise.all([
      db.selectFrom('Goal').select(['number', 'title']).where('planId', '=', planId).orderBy('number').execute(),
      db
        .selectFrom('Intervention as i')
        .innerJoin('Goal as g', 'g.id', 'i.goalId')
        .select('i.code')
        .where('i.planId', '=', planId)
        .orderBy('g.number')
        .orderBy('i.position')
        .execute(),
      db
        .selectFrom('Organisation as o')
        .select(['o.id', 'o.name'])
        .where((eb) =>
          eb.exists(
            eb.selectFrom('Contribution as c').select('c.id').whereRef('c.organisationId', '=', 'o.id').where('c.planId', '=', planId),
          ),
        )
        .orderBy('o.name')
        .execute(),
    ]);
    return { goals, interventions, organisations };
  }

  /** An organisation with its contacts, its milestones in the plan, and its requests with their mail and replies. */
  async organisation(id: number, planId: number) {
    const db = this.database.db;
    const [organisation, contacts, contributions, milestones, requests, messages, inbound] = await Promise.all([
      db.selectFrom('Organisation').selectAll().where('id', '=', id).executeTakeFirst(),
      db.selectFrom('Contact').selectAll().where('organisationId', '=', id).orderBy('id').execute(),
      db
        .selectFrom('Contribution as c')
        .innerJoin('Goal as g', 'g.id', 'c.goalId')
        .leftJoin('Intervention as i', 'i.id', 'c.interventionId')
        .select(['c.id', 'c.key', 'i.code as interventionCode', 'g.number as goalNumber'])
        .where('c.organisationId', '=', id)
        .where('c.planId', '=', planId)
        .orderBy('g.number')
        .orderBy('c.position')
        .execute(),
      db
        .selectFrom('Milestone as m')
        .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
        .select(['m.contributionId', 'm.id', 'm.label', 'm.text', 'm.state', 'm.progress', 'm.dueFrom', 'm.dueTo'])
        .where('c.organisationId', '=', id)
        .where('c.planId', '=', planId)
        .orderBy('m.position')
        .execute(),
      db
        .selectFrom('ReportRequest as r')
        .innerJoin('ReportingRound as rr', 'rr.id', 'r.roundId')
        .select(['r.id', 'r.status', 'r.answeredAt', 'r.late', 'rr.id as roundId', 'rr.year as roundYear'])
        .where('r.organisationId', '=', id)
        .orderBy('r.id', 'desc')
        .execute(),
      db
        .selectFrom('OutboxMessage as m')
        .innerJoin('ReportRequest as r', 'r.id', 'm.requestId')
        .select(['m.requestId', 'm.template', 'm.status', 'm.sentAt', 'm.createdAt'])
        .where('r.organisationId', '=', id)
        .orderBy('m.id')
        .execute(),
      db
        .selectFrom('InboundMessage as im')
        .innerJoin('ReportRequest as r', 'r.id', 'im.requestId')
        .select(['im.requestId', 'im.id', 'im.status', 'im.receivedAt', 'im.reason'])
        .where('r.organisationId', '=', id)
        .orderBy('im.id')
        .execute(),
    ]);
    if (!organisation) return null;
    return {
      ...organisation,
      contacts,
      contributions: contributions.map((contribution) => ({
        key: contribution.key,
        intervention: contribution.interventionCode === null ? null : { code: contribution.interventionCode },
        goal: { number: contribution.goalNumber },
        milestones: milestones
          .filter((milestone) => milestone.contributionId === contribution.id)
          .map(({ contributionId: _, ...milestone }) => milestone),
      })),
      requests: requests.map((request) => ({
        id: request.id,
        status: request.status,
        answeredAt: request.answeredAt,
        late: request.late,
        round: { id: request.roundId, year: request.roundYear },
        messages: messages.filter((message) => message.requestId === request.id).map(({ requestId: _, ...message }) => message),
        inbound: inbound.filter((reply) => reply.requestId === request.id).map(({ requestId: _, ...reply }) => reply),
      })),
    };
  }

  /**
   * Answers of a round that left a delayed, at-risk or cancelled state unexplained, and are still
   * the milestone's latest word: a later answer with its reason takes the milestone off the list.
   */
  async answersWithoutReason(roundId: number, limit = 500) {
    return this.database.db
      .selectFrom('MilestoneUpdate as u')
      .innerJoin('ReportRequest as r', 'r.id', 'u.requestId')
      .innerJoin('Organisation as o', 'o.id', 'r.organisationId')
      .innerJoin('Milestone as m', 'm.id', 'u.milestoneId')
      .select([
        'm.id as milestoneId',
        'm.label',
        'm.text',
        'u.toState as state',
        'u.channel',
        'u.createdAt',
        'o.id as organisationId',
        'o.name as organisation',
      ])
      .where('r.roundId', '=', roundId)
      .where('u.toState', '=', (eb) => eb.fn.any(eb.val([...STATES_NEEDING_REASON])))
      .where((eb) => eb.or([eb('u.comment', 'is', null), eb(eb.fn('btrim', ['u.comment']), '=', '')]))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('MilestoneUpdate as later')
              .select('later.id')
              .whereRef('later.milestoneId', '=', 'u.milestoneId')
              .whereRef('later.id', '>', 'u.id'),
          ),
        ),
      )
      .orderBy('o.name')
      .orderBy('m.planOrder')
      .orderBy('m.id')
      .limit(limit)
      .execute();
  }

  /**
   * The contacts as typed by an admin: real addresses now, so none of them is a placeholder. The
   * addresses go in as one array, new ones in the order typed.
   */
  async replaceContacts(organisationId: number, emails: string[]): Promise<void> {
    const unique = [...new Set(emails)];
    const now = this.clock.now();
    await this.database.transaction(async (tx) => {
      await tx
        .deleteFrom('Contact')
        .where('organisationId', '=', organisationId)
        .where((eb) => eb.not(eb('email', '=', eb.fn.any(eb.val(unique)))))
        .execute();
      await tx
        .insertInto('Contact')
        .columns(['organisationId', 'email', 'placeholder', 'createdAt'])
        .expression((eb) =>
          eb
            .selectFrom(sql<{ email: string; n: number }>`unnest(${unique}::text[]) with ordinality`.as<'e'>(sql`e(email, n)`))
            .select([eb.val(organisationId).as('organisationId'), 'e.email', eb.val(false).as('placeholder'), eb.val(now).as('createdAt')])
            .orderBy('e.n'),
        )
        .onConflict((oc) => oc.columns(['organisationId', 'email']).doUpdateSet({ placeholder: false }))
        .execute();
    });
  }
}
