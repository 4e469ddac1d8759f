import { Injectable } from '@nestjs/common';
import type { Tx } from '../database/prisma.service.js';
import type { UpdateChannel } from '../generated/prisma/client.js';
import type { RecordedAnswer } from './milestone-update.js';

export interface UpdateContext {
  channel: UpdateChannel;
  actor: string;
  requestId: number | null;
  late: boolean;
  at: Date;
}

/** Milestone history: every update is kept; the milestone row holds the latest accepted one. */
@Injectable()
export class MilestoneUpdatesRepository {
  async record(tx: Tx, answers: RecordedAnswer[], context: UpdateContext): Promise<void> {
    if (answers.length === 0) return;
    const current = new Map(
      (await tx.milestone.findMany({ where: { id: { in: answers.map((a) => a.milestoneId) } }, select: { id: true, state: true } })).map((m) => [m.id, m.state]),
    );
    await tx.milestoneUpdate.createMany({
      data: answers.map((answer) => ({
        milestoneId: answer.milestoneId,
        fromState: current.get(answer.milestoneId) ?? null,
        toState: answer.state,
        progress: answer.progress,
        comment: answer.comment,
        evidenceUrl: answer.evidenceUrl,
        channel: context.channel,
        actor: context.actor,
        late: context.late,
        requestId: context.requestId,
        createdAt: context.at,
      })),
    });
    for (const answer of answers) {
      await tx.milestone.update({
        where: { id: answer.milestoneId },
        data: {
          state: answer.state,
          progress: answer.progress,
          ...(current.get(answer.milestoneId) === answer.state ? {} : { stateChangedAt: context.at }),
        },
      });
    }
  }
}
