import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { localDate } from '../common/dates.js';
import { notFound, Refusal } from '../common/refusal.js';
import { AppConfig } from '../config/config.module.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import { OutboxRepository } from '../mail/outbox.repository.js';
import type { FollowDigestData } from '../mail/templates/mail-data.js';
import { PlanService } from '../plan/plan.service.js';
import { QueueService } from '../queue/queue.service.js';
import { FollowsRepository, type FollowedChange, type Follower, type FollowRow, type FollowTarget } from './follows.repository.js';

/** How long a change's transaction may take to commit after it was stamped. */
const SETTLING_MS = 60_000;
/** What a follow request names: a goal by its number in a plan (default: the current one), or an organisation. */
export type FollowRequest = { goal: number; plan?: number } | { organisation: number };

const present = (row: FollowRow) => ({
  id: row.id,
  since: row.createdAt,
  goal: row.goal && { number: row.goal.number, title: row.goal.title, plan: row.goal.planId },
  organisation: row.organisation,
});

/**
 * A signed-in user follows goals and organisations, and gets one mail a day at most with the
 * milestone state changes in them since the last one, in the user's language. The daily job claims
 * each user's digest of the day (one row per user and local day) in the same transaction as the
 * digest's outbox row, so running it again that day sends nothing more; no change, no mail.
 */
@Injectable()
export class FollowsService implements OnModuleInit {
  private readonly logger = new Logger(FollowsService.name);

  constructor(
    private readonly follows: FollowsRepository,
    private readonly plans: PlanService,
    private readonly outbox: OutboxRepository,
    private readonly delivery: MailDeliveryService,
    private readonly queues: QueueService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.queues.handle('follows.digest', () => this.digestAll());
  }

  async list(principal: Principal) {
    return { follows: (await this.follows.list(this.userOf(principal))).map(present) };
  }

  /** Follows a goal or an organisation; following it again is no change. */
  async follow(principal: Principal, request: FollowRequest) {
    const userId = this.userOf(principal);
    const target = await this.targetOf(request);
    const { id, created } = await this.follows.add(userId, target, this.clock.now());
    const row = (await this.follows.list(userId)).find((follow) => follow.id === id)!;
    return { created, follow: present(row) };
  }

  async unfollow(principal: Principal, id: number): Promise<void> {
    if (!(await this.follows.remove(this.userOf(principal), id)))
      throw notFound('problem.no_follow', { id }, `You follow nothing with id ${id}.`);
  }

  /** The user's follow of a goal (by number, current plan) or an organisation, for the pages' buttons. */
  async followOf(principal: Principal, request: FollowRequest): Promise<number | null> {
    if (principal.kind !== 'user') return null;
    return this.follows.find(principal.id, await this.targetOf(request));
  }

  /** The daily job: one digest per follower, each on its own so one bad address does not stop the rest. */
  async digestAll(now = this.clock.now()): Promise<{ users: number; mailed: number }> {
    const day = localDate(now, this.config.get('TZ'));
    // The window ends a minute ago: a change stamped just before now whose transaction has not yet
    // committed would otherwise fall between this digest and the next.
    const until = new Date(now.getTime() - SETTLING_MS);
    const followers = await this.follows.followers();
    let mailed = 0;
    for (const follower of followers) {
      try {
        if (await this.digest(follower, day, until)) mailed++;
      } catch (error) {
        this.logger.error(`follow digest for user ${follower.id}: ${(error as Error).message}`);
      }
    }
    if (mailed > 0) this.logger.log(`follow digests of ${day}: ${mailed} mailed`);
    return { users: followers.length, mailed };
  }

  private async digest(follower: Follower, day: string, until: Date): Promise<boolean> {
    const ids = await this.follows.transaction(async (tx) => {
      const claim = await this.follows.claimDigest(tx, follower.id, day, until);
      if (!claim) return [];
      const changes = await this.follows.changes(tx, follower.id, claim.since, until);
      if (changes.length === 0) return [];
      const data = this.digestData(follower, changes);
      const ids = await this.outbox.add(
        tx,
        [
          {
            dedupeKey: `follow-digest:${follower.id}:${day}`,
            template: 'follow-digest',
            language: follower.language,
            recipients: [follower.email],
            data,
          },
        ],
        this.config.get('MAIL_FROM').split('@')[1]!,
      );
      await this.follows.recordDigest(tx, claim.id, data.count, ids[0] ?? null);
      return ids;
    });
    await this.delivery.enqueue(ids);
    return ids.length > 0;
  }

  private digestData(follower: Follower, changes: FollowedChange[]): FollowDigestData {
    const base = this.config.get('PUBLIC_URL');
    const groups = new Map<number, FollowDigestData['groups'][number]>();
    const distinct = new Set<string>();
    for (const change of changes) {
      distinct.add(`${change.milestoneId}@${change.at.toISOString()}:${change.toState}`);
      let group = groups.get(change.followId);
      if (!group) {
        group =
          change.goalId !== null
            ? {
                goal: { number: change.goalNumber, title: change.goalTitle },
                organisation: null,
                url: `${base}/goals/${change.goalNumber}`,
                changes: [],
              }
            : {
                goal: null,
                organisation: { name: change.organisation },
                url: `${base}/organisations/${change.organisationId}`,
                changes: [],
              };
        groups.set(change.followId, group);
      }
      group.changes.push({
        milestone: { label: change.label, text: change.text, url: `${base}/milestones/${change.milestoneId}` },
        organisation: change.organisation,
        goalNumber: change.goalNumber,
        from: change.fromState,
        to: change.toState,
        comment: change.comment,
        at: change.at.toISOString(),
      });
    }
    return {
      plan: { title: changes[0]!.planTitle },
      user: { name: follower.name },
      count: distinct.size,
      groups: [...groups.values()],
      followsUrl: `${base}/follows`,
    };
  }

  private async targetOf(request: FollowRequest): Promise<FollowTarget> {
    if ('organisation' in request) {
      if (!(await this.follows.organisationExists(request.organisation)))
        throw notFound('problem.no_organisation', { id: request.organisation }, `There is no organisation ${request.organisation}.`);
      return { organisationId: request.organisation };
    }
    const planId = await this.plans.resolvePlanId(request.plan);
    const goalId = await this.follows.goalId(planId, request.goal);
    if (goalId === null) throw notFound('problem.no_goal', { number: request.goal }, `The plan ${planId} has no goal ${request.goal}.`);
    return { goalId };
  }

  /** Follows are a person's: an integration's token has no mailbox for a digest. */
  private userOf(principal: Principal): number {
    if (principal.kind !== 'user')
      throw new Refusal(403, 'problem.follow_user_only', {}, 'Follows belong to signed-in users; an API token cannot follow anything.');
    return principal.id;
  }
}
