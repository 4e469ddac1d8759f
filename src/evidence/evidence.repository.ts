import { Injectable } from '@nestjs/common';
import { Database, type Db } from '../database/database.js';
import type { AttachmentSource } from '../generated/db/enums.js';

export interface NewAttachment {
  storageKey: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  source: AttachmentSource;
  requestId: number | null;
  inboundMessageId: number | null;
  createdAt: Date;
  milestoneIds: number[];
}

/** What pages, the form and the report show of a kept file: never its storage key. */
export interface AttachmentListing {
  id: number;
  fileName: string;
  contentType: string;
  size: number;
  source: AttachmentSource;
  createdAt: Date;
}

const LISTING = ['a.id', 'a.fileName', 'a.contentType', 'a.size', 'a.source', 'a.createdAt'] as const;

/** Kept files and the milestones they document. */
@Injectable()
export class EvidenceRepository {
  constructor(private readonly database: Database) {}

  /** Inside the caller's transaction: the files, then their milestones. */
  async insert(db: Db, files: NewAttachment[]): Promise<number[]> {
    const ids: number[] = [];
    for (const { milestoneIds, ...file } of files) {
      const { id } = await db.insertInto('Attachment').values(file).returning('id').executeTakeFirstOrThrow();
      ids.push(id);
      await this.link(db, [id], milestoneIds);
    }
    return ids;
  }

  /** Links the files that came with an inbound message to milestones (a reply accepted in review). */
  async linkMessage(db: Db, inboundMessageId: number, milestoneIds: number[]): Promise<void> {
    const files = await db.selectFrom('Attachment').select('id').where('inboundMessageId', '=', inboundMessageId).execute();
    await this.link(
      db,
      files.map((file) => file.id),
      milestoneIds,
    );
  }

  private async link(db: Db, attachmentIds: number[], milestoneIds: number[]): Promise<void> {
    const rows = attachmentIds.flatMap((attachmentId) => [...new Set(milestoneIds)].map((milestoneId) => ({ attachmentId, milestoneId })));
    if (rows.length === 0) return;
    await db
      .insertInto('AttachmentMilestone')
      .values(rows)
      .onConflict((conflict) => conflict.doNothing())
      .execute();
  }

  async ofMilestone(milestoneId: number): Promise<AttachmentListing[]> {
    return this.database.db
      .selectFrom('Attachment as a')
      .innerJoin('AttachmentMilestone as am', 'am.attachmentId', 'a.id')
      .select(LISTING)
      .where('am.milestoneId', '=', milestoneId)
      .orderBy('a.createdAt')
      .orderBy('a.id')
      .execute();
  }

  async ofMessages(inboundMessageIds: number[]): Promise<(AttachmentListing & { inboundMessageId: number })[]> {
    if (inboundMessageIds.length === 0) return [];
    const rows = await this.database.db
      .selectFrom('Attachment as a')
      .select([...LISTING, 'a.inboundMessageId'])
      .where('a.inboundMessageId', '=', (eb) => eb.fn.any(eb.val(inboundMessageIds)))
      .orderBy('a.id')
      .execute();
    return rows.map((row) => ({ ...row, inboundMessageId: row.inboundMessageId! }));
  }

  /** An organisation's files on these milestones (what its own link shows), by milestone. */
  async ofOrganisation(organisationId: number, milestoneIds: number[]): Promise<(AttachmentListing & { milestoneId: number })[]> {
    if (milestoneIds.length === 0) return [];
    return this.database.db
      .selectFrom('Attachment as a')
      .innerJoin('AttachmentMilestone as am', 'am.attachmentId', 'a.id')
      .innerJoin('ReportRequest as r', 'r.id', 'a.requestId')
      .select([...LISTING, 'am.milestoneId'])
      .where('r.organisationId', '=', organisationId)
      .where('am.milestoneId', '=', (eb) => eb.fn.any(eb.val(milestoneIds)))
      .orderBy('a.createdAt')
      .orderBy('a.id')
      .execute();
  }

  /** One file with where it is kept and whose it is. */
  async find(id: number) {
    return (
      (await this.database.db
        .selectFrom('Attachment as a')
        .leftJoin('ReportRequest as r', 'r.id', 'a.requestId')
        .select([...LISTING, 'a.storageKey', 'r.organisationId'])
        .where('a.id', '=', id)
        .executeTakeFirst()) ?? null
    );
  }

  /**
   * Files on a plan's milestones kept up to an instant, by milestone id, oldest first, each with
   * its sender: the organisation whose link or reply it came with (a reply accepted in review
   * through the request it was matched to), else the milestone's owner: never a person's address,
   * since the report is published.
   */
  async ofPlan(planId: number, until: Date): Promise<Map<number, (AttachmentListing & { sender: string | null })[]>> {
    const rows = await this.database.db
      .selectFrom('Attachment as a')
      .innerJoin('AttachmentMilestone as am', 'am.attachmentId', 'a.id')
      .innerJoin('Milestone as m', 'm.id', 'am.milestoneId')
      .leftJoin('InboundMessage as im', 'im.id', 'a.inboundMessageId')
      .leftJoin('ReportRequest as r', (join) => join.on((eb) => eb('r.id', '=', eb.fn.coalesce('a.requestId', 'im.requestId'))))
      .leftJoin('Organisation as o', 'o.id', 'r.organisationId')
      .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
      .innerJoin('Organisation as owner', 'owner.id', 'c.organisationId')
      .select((eb) => [...LISTING, 'am.milestoneId', eb.fn.coalesce('o.name', 'owner.name').as('sender')])
      .where('m.planId', '=', planId)
      .where('a.createdAt', '<=', until)
      .orderBy('a.createdAt')
      .orderBy('a.id')
      .execute();
    const byMilestone = new Map<number, (AttachmentListing & { sender: string | null })[]>();
    for (const { milestoneId, ...file } of rows) byMilestone.set(milestoneId, [...(byMilestone.get(milestoneId) ?? []), file]);
    return byMilestone;
  }
}
