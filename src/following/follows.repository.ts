import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { Database, type Db, type Tx } from '../database/database.js';
import type { Language, MilestoneState } from '../generated/db/enums.js';

/** What a follow is of: a goal (by its row id) or an organisation. */
export type FollowTarget = { goalId: number } | { organisationId: number };

export interface FollowRow {
  id: number;
  createdAt: Date;
  goal: { id: number; number: number; title: string; planId: number } | null;
  organisation: { id: number; name: string } | null;
}

export interface Follower {
  id: number;
  email: string;
  name: string | null;
  language: Language;
}

/** One state change of a milestone in something the user follows, with the follow it came through. */
export interface FollowedChange {
  followId: number;
  goalId: number | null;
  organisationId: number | null;
  milestoneId: number;
  label: string | null;
  text: string;
  goalNumber: number;
  goalTitle: string;
  organisation: string;
  planTitle: string;
  fromState: MilestoneState | null;
  toState: MilestoneState;
  comment: string | null;
  at: Date;
}

/** Follows of goals and organisations, and the daily digests sent of them (one per user and day). */
@Injectable()
export class FollowsRepository {
  constructor(private readonly database: Database) {}

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.transaction(work);
  }

  async list(userId: number, db: Db = this.database.db): Promise<FollowRow[]> {
    const rows = await db
      .selectFrom('Follow as f')
      .leftJoin('Goal as g', 'g.id', 'f.goalId')
      .leftJoin('Organisation as o', 'o.id', 'f.organisationId')
      .select([
        'f.id',
        'f.createdAt',
        'g.id as goalId',
        'g.number as goalNumber',
        'g.title as goalTitle',
        'g.planId',
        'o.id as organisationId',
        'o.name as organisationName',
      ])
      .where('f.userId', '=', userId)
      .orderBy('f.id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      createdAt: row.createdAt,
      goal: row.goalId === null ? null : { id: row.goalId, number: row.goalNumber!, title: row.goalTitle!, planId: row.planId! },
      organisation: row.organisationId === null ? null : { id: row.organisationId, name: row.organisationName! },
    }));
  }

  /** Follows the target; following it again changes nothing. Returns the follow's id. */
  async add(userId: number, target: FollowTarget, at: Date): Promise<{ id: number; created: boolean }> {
    return this.database.transaction(async (tx) => {
      const created = await tx
        .insertInto('Follow')
        .values({ userId, ...target, createdAt: at })
        .onConflict((oc) => oc.columns(['userId', 'goalId' in target ? 'goalId' : 'organisationId']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (created) return { id: created.id, created: true };
      const existing = await this.find(userId, target, tx);
      return { id: existing!, created: false };
    });
  }

  /** The user's follow of the target, if any. */
  async find(userId: number, target: FollowTarget, db: Db = this.database.db): Promise<number | null> {
    const row = await db
      .selectFrom('Follow')
      .select('id')
      .where('userId', '=', userId)
      .$if('goalId' in target, (q) => q.where('goalId', '=', (target as { goalId: number }).goalId))
      .$if('organisationId' in target, (q) => q.where('organisationId', '=', (target as { organisationId: number }).organisationId))
      .executeTakeFirst();
    return row?.id ?? null;
  }

  /** Removes one of the user's follows; false when the user has no follow with that id. */
  async remove(userId: number, id: number): Promise<boolean> {
    const deleted = await this.database.db
      .deleteFrom('Follow')
      .where('id', '=', id)
      .where('userId', '=', userId)
      .returning('id')
      .executeTakeFirst();
    return deleted !== undefined;
  }

  async goalId(planId: number, number: number): Promise<number | null> {
    const row = await this.database.db
      .selectFrom('Goal')
      .select('id')
      .where('planId', '=', planId)
      .where('number', '=', number)
      .executeTakeFirst();
    return row?.id ?? null;
  }

  async organisationExists(id: number): Promise<boolean> {
    const row = await this.database.db.selectFrom('Organisation').select('id').where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  /** Users who follow anything: those a digest may be for. */
  async followers(): Promise<Follower[]> {
    return this.database.db
      .selectFrom('User as u')
      .select(['u.id', 'u.email', 'u.name', 'u.language'])
      .where((eb) => eb.exists(eb.selectFrom('Follow as f').select('f.id').whereRef('f.userId', '=', 'u.id')))
      .orderBy('u.id')
      .execute();
  }

  /**
   * Claims the user's digest of `day`, up to `until`: null when that day's is claimed already
   * (by this run or another). `since` is where the last digest ended; null before the first.
   */
  async claimDigest(tx: Tx, userId: number, day: string, until: Date): Promise<{ id: number; since: Date | null } | null> {
    const last = await tx
      .selectFrom('FollowDigest')
      .select(sql<Date | null>`max("until")`.as('until'))
      .where('userId', '=', userId)
      .executeTakeFirst();
    const since = last?.until ?? null;
    const claimed = await tx
      .insertInto('FollowDigest')
      // The first digest covers each follow from its start (`since` is only a lower bound then).
      .values({ userId, day, since: since ?? new Date(0), until, changes: 0 })
      .onConflict((oc) => oc.columns(['userId', 'day']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return claimed ? { id: claimed.id, since } : null;
  }

  async recordDigest(tx: Tx, id: number, changes: number, outboxId: number | null): Promise<void> {
    await tx.updateTable('FollowDigest').set({ changes, outboxId }).where('id', '=', id).execute();
  }

  /**
   * The state changes after `since` (or each follow's start, whichever is later) up to `until`, in
   * the goals and organisations the user follows, oldest first; a change in a followed goal of a
   * followed organisation comes once per follow.
   */
  async changes(tx: Tx, userId: number, since: Date | null, until: Date): Promise<FollowedChange[]> {
    return tx
      .selectFrom('Follow as f')
      .innerJoin('Contribution as c', (join) =>
        join.on((eb) => eb.or([eb('c.goalId', '=', eb.ref('f.goalId')), eb('c.organisationId', '=', eb.ref('f.organisationId'))])),
      )
      .innerJoin('Milestone as m', 'm.contributionId', 'c.id')
      .innerJoin('MilestoneUpdate as u', 'u.milestoneId', 'm.id')
      .innerJoin('Goal as g', 'g.id', 'c.goalId')
      .innerJoin('Organisation as o', 'o.id', 'c.organisationId')
      .innerJoin('Plan as p', 'p.id', 'm.planId')
      .select([
        'f.id as followId',
        'f.goalId',
        'f.organisationId',
        'm.id as milestoneId',
        'm.label',
        'm.text',
        'g.number as goalNumber',
        'g.title as goalTitle',
        'o.name as organisation',
        'p.title as planTitle',
        'u.fromState',
        'u.toState',
        'u.comment',
        'u.createdAt as at',
      ])
      .where('f.userId', '=', userId)
      .where(sql<boolean>`u."createdAt" > greatest(f."createdAt", ${since}::timestamptz)`)
      .where('u.createdAt', '<=', until)
      .where(sql<boolean>`u."fromState" IS DISTINCT FROM u."toState"`)
      .orderBy('f.id')
      .orderBy('u.createdAt')
      .orderBy('u.id')
      .execute();
  }
}
