import { Injectable, Logger } from '@nestjs/common';
import { addDays, Clock } from '../common/clock.js';
import { SignedLinks } from '../common/signed-links.js';
import { AppConfig } from '../config/config.module.js';
import type { Tx } from '../database/database.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import { OutboxRepository } from '../mail/outbox.repository.js';
import type { ReplyRevertedData } from '../mail/templates/mail-data.js';
import { answerColumns, withRecordedAnswers } from '../progress/milestone-history.js';
import { YearApproved } from '../progress/records.repository.js';
import { RecordsService } from '../progress/records.service.js';
import { ReplyRevertRepository, type ReplyChange, type ReplyRevertRow } from './reply-revert.repository.js';

/** How long the "this was not me" link in a reply's confirmation works. */
export const REVERT_LINK_DAYS = 30;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const REASON = 'The contact said this email reply was not theirs ("this was not me" link).';

export type RevertLink =
  { kind: 'unknown' } | { kind: 'used' | 'expired'; row: ReplyRevertRow } | { kind: 'open'; row: ReplyRevertRow; changes: ReplyChange[] };

export type RevertOutcome =
  | Exclude<RevertLink, { kind: 'open' }>
  | { kind: 'reverted'; row: ReplyRevertRow; reverted: ReplyChange[]; kept: ReplyChange[] }
  | { kind: 'year_approved'; row: ReplyRevertRow; year: number };

/**
 * "This was not me": every change applied from an email reply is confirmed to the contact with a
 * signed, single-use link. Following it (a POST; the GET only shows what it would do) writes a new
 * history row per milestone that restores what it was before the reply — unless it has been
 * changed again since — sends the reply back to the review queue and alerts the secretariat. When
 * the year has been approved meanwhile nothing is reverted, and the secretariat is alerted anyway.
 */
@Injectable()
export class ReplyRevertService {
  private readonly logger = new Logger(ReplyRevertService.name);

  constructor(
    private readonly reverts: ReplyRevertRepository,
    private readonly records: RecordsService,
    private readonly outbox: OutboxRepository,
    private readonly delivery: MailDeliveryService,
    private readonly links: SignedLinks,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  newNonce(): string {
    return this.links.newNonce();
  }

  /** The link's row, written in the reply's own transaction (`at`: the instant its answers carry). */
  record(tx: Tx, nonce: string, requestId: number, inboundMessageId: number | null, at: Date): Promise<void> {
    return this.reverts.create(tx, {
      tokenHash: SignedLinks.hash(this.links.revertToken(nonce)),
      requestId,
      inboundMessageId,
      appliedAt: at,
      expiresAt: addDays(at, REVERT_LINK_DAYS),
      createdAt: at,
    });
  }

  async find(token: string): Promise<RevertLink> {
    const row = TOKEN.test(token) ? await this.reverts.findByTokenHash(SignedLinks.hash(token)) : undefined;
    if (!row) return { kind: 'unknown' };
    if (row.usedAt) return { kind: 'used', row };
    if (row.expiresAt <= this.clock.now()) return { kind: 'expired', row };
    return { kind: 'open', row, changes: await this.reverts.changes(this.reverts.db(), row.requestId, row.appliedAt) };
  }

  async revert(token: string): Promise<RevertOutcome> {
    const link = await this.find(token);
    if (link.kind !== 'open') return link;
    const { row } = link;
    const now = this.clock.now();
    try {
      const done = await this.reverts.transaction(async (tx) => {
        if (!(await this.reverts.use(tx, row.id, now))) return null;
        await this.records.assertYearOpen(tx, row.planId, row.year);
        const changes = await this.reverts.changes(tx, row.requestId, row.appliedAt);
        // A milestone changed again since the reply keeps that later change: only the reply's own is undone.
        const reverted = changes.filter((change) => change.latest);
        const kept = changes.filter((change) => !change.latest);
        if (reverted.length > 0) {
          await withRecordedAnswers(tx, answerColumns(reverted.map((change) => ({ milestoneId: change.milestoneId, ...change.before }))), {
            channel: 'secretariat',
            actor: `revert:${row.messageId ?? `request ${row.requestId}`}`,
            requestId: row.requestId,
            late: false,
            at: now,
            // It takes back an answer to this year's round, so it counts where that answer counted.
            reportingYear: row.year,
            reason: REASON,
          })
            .selectFrom('history')
            .select('id')
            .execute();
        }
        const ids = await this.alert(tx, row, reverted, kept, null, now);
        return { ids, reverted, kept };
      });
      if (!done) return { kind: 'used', row };
      await this.delivery.enqueue(done.ids);
      this.logger.warn(
        `reply ${row.messageId ?? '?'} from ${row.fromAddress ?? '?'} reverted by "this was not me": ${done.reverted.length} milestone(s) set back, ${done.kept.length} changed since and kept`,
      );
      return { kind: 'reverted', row, reverted: done.reverted, kept: done.kept };
    } catch (error) {
      const refusal = await this.records.refusal(error, row.planId, row.year);
      if (!(refusal instanceof YearApproved)) throw refusal;
      // Nothing can be undone in an approved year; the secretariat hears of it all the same.
      const ids = await this.reverts.transaction(async (tx) => {
        if (!(await this.reverts.use(tx, row.id, now))) return null;
        const changes = await this.reverts.changes(tx, row.requestId, row.appliedAt);
        return this.alert(tx, row, [], changes, { year: refusal.year }, now);
      });
      if (ids === null) return { kind: 'used', row };
      await this.delivery.enqueue(ids);
      this.logger.warn(`reply ${row.messageId ?? '?'} disowned by its contact, but ${refusal.year} is approved: nothing reverted`);
      return { kind: 'year_approved', row, year: refusal.year };
    }
  }

  /** The reply goes back to review with why, and the secretariat gets a mail. */
  private async alert(
    tx: Tx,
    row: ReplyRevertRow,
    reverted: ReplyChange[],
    kept: ReplyChange[],
    yearApproved: { year: number } | null,
    now: Date,
  ): Promise<number[]> {
    if (row.inboundMessageId !== null) {
      const what = yearApproved
        ? `nothing was reverted: ${yearApproved.year} is approved`
        : `${reverted.length} change(s) reverted${kept.length ? `, ${kept.length} changed since and kept` : ''}`;
      await this.reverts.sendToReview(tx, row.inboundMessageId, `${REASON} ${what} (${now.toISOString()}).`);
    }
    const milestone = (change: ReplyChange) => ({ number: change.number, label: change.label, text: change.text });
    const data: ReplyRevertedData = {
      organisation: { name: row.organisationName },
      plan: { title: row.planTitle },
      round: { year: row.year },
      from: row.fromAddress ?? '',
      subject: row.subject ?? '',
      receivedAt: (row.receivedAt ?? row.appliedAt).toISOString(),
      reverted: reverted.map(milestone),
      kept: kept.map(milestone),
      yearApproved,
      reviewUrl: `${this.config.get('PUBLIC_URL')}/review`,
    };
    return this.outbox.add(
      tx,
      [
        {
          dedupeKey: `reply-revert:${row.id}`,
          template: 'reply-reverted',
          language: this.config.get('SECRETARIAT_LANGUAGE'),
          recipients: this.config.get('SECRETARIAT_EMAIL'),
          // Not the request's: a bounce at the secretariat's address is no bounce of the committee's.
          requestId: null,
          roundId: row.roundId,
          data: { ...data },
        },
      ],
      this.config.get('MAIL_FROM').split('@')[1]!,
    );
  }
}
