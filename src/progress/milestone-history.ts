import { Prisma, type UpdateChannel } from '../generated/prisma/client.js';
import { utc } from '../database/prisma.service.js';
import type { RecordedAnswer } from './milestone-update.js';

export interface UpdateContext {
  channel: UpdateChannel;
  actor: string;
  requestId: number | null;
  late: boolean;
  at: Date;
}

/**
 * Milestone history: every update is kept; the milestone row holds the latest accepted one.
 *
 * The common table expressions that record answers (one per milestone), whatever their number:
 * the milestones are locked and read as they are (the history's "from" state), set to the
 * answers, and one history row per answer is added, in the answers' order. `stateChangedAt` moves
 * only for a milestone whose state changed. They are part of a statement that does more in the
 * same breath (an answer also marks its request and queues the confirmation); `changed` and
 * `history` return the milestones set and the history rows added.
 */
export function recordingAnswers(answers: RecordedAnswer[], context: UpdateContext): Prisma.Sql {
  const at = utc(context.at);
  return Prisma.sql`
      answer AS (
        SELECT *
        FROM unnest(${answers.map((a) => a.milestoneId)}::int[], ${answers.map((a) => a.state)}::text[], ${answers.map((a) => a.progress)}::int[],
                    ${answers.map((a) => a.comment)}::text[], ${answers.map((a) => a.evidenceUrl)}::text[])
             WITH ORDINALITY AS a(id, state, progress, comment, "evidenceUrl", ord)
      ),
      before AS (
        SELECT m.id, m.state FROM "Milestone" m WHERE m.id IN (SELECT id FROM answer) FOR UPDATE
      ),
      changed AS (
        UPDATE "Milestone" m
        SET state = answer.state::"MilestoneState",
            progress = answer.progress,
            "stateChangedAt" = CASE WHEN before.state = answer.state::"MilestoneState" THEN m."stateChangedAt" ELSE ${at} END,
            "updatedAt" = ${utc(new Date())}
        FROM answer JOIN before ON before.id = answer.id
        WHERE m.id = answer.id
        RETURNING m.id
      ),
      history AS (
        INSERT INTO "MilestoneUpdate" ("milestoneId", "fromState", "toState", progress, comment, "evidenceUrl", channel, actor, late, "requestId", "createdAt")
        SELECT answer.id, before.state, answer.state::"MilestoneState", answer.progress, answer.comment, answer."evidenceUrl",
               ${context.channel}::"UpdateChannel", ${context.actor}, ${context.late}, ${context.requestId}::int, ${at}
        FROM answer LEFT JOIN before ON before.id = answer.id
        ORDER BY answer.ord
        RETURNING id
      )`;
}
