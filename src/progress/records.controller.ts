import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { z } from 'zod';
import { RequireRole } from '../auth/access.decorators.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { IdPipe, idSchema } from '../common/id.pipe.js';
import { MILESTONE_STATES } from '../common/milestone-states.js';
import { ApiBodyFrom, ApiQueryFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { PlanService } from '../plan/plan.service.js';
import { RecordsService, type Actor } from './records.service.js';

const planField = z.number().int().positive().optional().meta({ description: 'Plan id; defaults to the current plan.' });
const planQuery = z.object({ plan: idSchema('a plan id').optional().meta({ description: 'Plan id; defaults to the current plan.' }) });

/** A written reason: blank is no reason. */
const reasonField = (what: string) =>
  z
    .string({ message: `is required: say why ${what}` })
    .trim()
    .min(1, `is required: say why ${what}`)
    .max(2_000, 'must be at most 2,000 characters');

export const approveYear = z
  .strictObject({
    plan: planField,
    note: z
      .string()
      .trim()
      .max(2_000, 'must be at most 2,000 characters')
      .optional()
      .meta({ description: 'A note kept with the approval' }),
  })
  .default({});
export const reopenYear = z.strictObject({ plan: planField, reason: reasonField('the year is reopened') });
export const correction = z
  .strictObject({
    plan: planField,
    state: z.enum(MILESTONE_STATES, { message: `must be one of ${MILESTONE_STATES.join(', ')}` }),
    progress: z.number().int('must be a whole number').min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100').nullish(),
    comment: z.string().trim().max(5_000, 'must be at most 5,000 characters').nullish(),
    evidenceUrl: z.string().trim().max(2_000, 'must be at most 2,000 characters').nullish(),
    reason: reasonField('the secretariat corrects the committee’s answer'),
  })
  .meta({ examples: [{ state: 'completed', progress: 100, comment: 'Rapporten er udgivet.', reason: 'Bekræftet pr. telefon 3. marts.' }] });

/** The user's or token's stable identity for the history, and the name a report shows. */
export function actorOf(req: AuthenticatedRequest): Actor {
  const principal = req.principal!;
  return { id: `${principal.kind}:${principal.kind === 'user' ? principal.id : principal.name}`, name: principal.name };
}

/**
 * Figures of record: a year's approval and reopening, and corrections on a committee's behalf.
 * Reading needs a viewer; acting needs the secretariat (or an admin).
 */
@ApiTags('figures of record')
@Controller('api')
export class RecordsController {
  constructor(
    private readonly plans: PlanService,
    private readonly records: RecordsService,
  ) {}

  @Get('records/:year')
  @ApiOperation({
    summary: "A year's figures of record for the whole plan, whether they are approved, and every approval and reopening",
  })
  @ApiQueryFrom(planQuery)
  @ApiNotFoundResponse({ description: 'No such plan' })
  async year(@Param('year', IdPipe) year: number, @Query(new ZodPipe(planQuery)) query: z.infer<typeof planQuery>) {
    return this.records.year(await this.planFor(query.plan, year), year);
  }

  @Post('records/:year/approve')
  @HttpCode(201)
  @RequireRole('secretariat')
  @ApiOperation({
    summary: 'Approve a year: its figures of record are frozen and its report says who approved them, and when',
    description:
      'Refused (409) when the year is already approved or has no reporting round. ' +
      'Afterwards answers for that year are refused and kept in the review queue.',
  })
  @ApiBodyFrom(approveYear)
  @ApiBadRequestResponse({ description: 'A year outside the plan period or a malformed body' })
  @ApiConflictResponse({ description: 'Already approved, or no round' })
  @ApiForbiddenResponse({ description: 'A viewer' })
  async approve(
    @Param('year', IdPipe) year: number,
    @Body(new ZodPipe(approveYear)) body: z.infer<typeof approveYear>,
    @Req() req: AuthenticatedRequest,
  ) {
    return this.records.approve(await this.planFor(body.plan, year), year, actorOf(req), body.note || null);
  }

  @Post('records/:year/reopen')
  @HttpCode(201)
  @RequireRole('secretariat')
  @ApiOperation({ summary: 'Reopen an approved year, with a written reason kept in the history and shown in the report' })
  @ApiBodyFrom(reopenYear)
  @ApiBadRequestResponse({ description: 'No reason, a year outside the plan period or a malformed body' })
  @ApiConflictResponse({ description: 'The year is not approved' })
  async reopen(
    @Param('year', IdPipe) year: number,
    @Body(new ZodPipe(reopenYear)) body: z.infer<typeof reopenYear>,
    @Req() req: AuthenticatedRequest,
  ) {
    return this.records.reopen(await this.planFor(body.plan, year), year, actorOf(req), body.reason);
  }

  @Post('milestones/:id/corrections')
  @HttpCode(201)
  @RequireRole('secretariat')
  @ApiOperation({
    summary: "Correct a milestone's state, progress and comment on the committee's behalf, with a reason",
    description:
      "Recorded with channel `secretariat`, the user, the moment and the reason; answers with the milestone's history. " +
      'A correction counts by its moment: in the figures of record of years not yet approved whose cut it falls within.',
  })
  @ApiBodyFrom(correction)
  @ApiBadRequestResponse({ description: 'No reason, a malformed body, or a milestone of another plan' })
  @ApiNotFoundResponse({ description: 'No such milestone or plan' })
  async correct(
    @Param('id', IdPipe) id: number,
    @Body(new ZodPipe(correction)) body: z.infer<typeof correction>,
    @Req() req: AuthenticatedRequest,
  ) {
    const { plan, ...fields } = body;
    return this.records.correct(await this.plans.resolvePlanId(plan), id, fields, actorOf(req));
  }

  /** The plan, and the year checked against its period. */
  private async planFor(plan: number | undefined, year: number): Promise<number> {
    const planId = await this.plans.resolvePlanId(plan);
    const found = (await this.plans.listPlans()).find((p) => p.id === planId)!;
    if (year < found.periodFrom || year > found.periodTo)
      throw new BadRequestException(`year: ${year} is outside the plan period ${found.periodFrom}-${found.periodTo}.`);
    return planId;
  }
}
