import { Body, Controller, Get, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public, RequireRole } from '../auth/access.decorators.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { IdPipe, idSchema } from '../common/id.pipe.js';
import { ApiBodyFrom, ApiQueryFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { PlanService } from '../plan/plan.service.js';
import { assessCriteriaSchema, CriteriaService, type AssessCriteria } from './criteria.service.js';

const criteriaQuery = z.object({
  plan: idSchema('a plan id').optional().meta({ description: 'Plan id; defaults to the current plan.' }),
  year: z.coerce
    .number({ message: 'must be a year' })
    .int('must be a year')
    .min(1900, 'must be a year')
    .max(2200, 'must be a year')
    .optional()
    .meta({ description: 'The year assessed (default: this year).' }),
});
const planQuery = criteriaQuery.pick({ plan: true });

/**
 * A goal's attainment criteria and their assessment per year: met, partly met, not met or not
 * assessed, each with its justification and an optional evidence link. Public like the figures;
 * only the secretariat assesses.
 */
@ApiTags('progress')
@Controller('api/goals/:number/criteria')
export class CriteriaController {
  constructor(
    private readonly plans: PlanService,
    private readonly criteria: CriteriaService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({
    summary: "A goal's attainment criteria with their assessment for a year",
    description:
      'Each criterion with its verdict (not_assessed until assessed), justification and evidence link; `summary` counts them ("3 of 4 criteria met, 1 partly").',
  })
  @ApiQueryFrom(criteriaQuery)
  @ApiNotFoundResponse({ description: 'No such goal' })
  async list(@Param('number', IdPipe) number: number, @Query(new ZodPipe(criteriaQuery)) query: z.infer<typeof criteriaQuery>) {
    const planId = await this.plans.resolvePlanId(query.plan);
    return this.criteria.forGoal(planId, number, query.year ?? (await this.criteria.defaultYear(planId)));
  }

  @Post('assessments')
  @RequireRole('secretariat')
  @ApiOperation({
    summary: "Assess a goal's criteria for a year",
    description:
      'All or nothing, in one transaction: a criterion of another goal, a criterion assessed twice, or a verdict other than not_assessed ' +
      'without a justification is a 400 naming it, and nothing is recorded. Earlier assessments are kept as history; the latest counts.',
  })
  @ApiQueryFrom(planQuery)
  @ApiBodyFrom(assessCriteriaSchema)
  @ApiBadRequestResponse({ description: 'What was wrong, named' })
  @ApiNotFoundResponse({ description: 'No such goal' })
  async assess(
    @Param('number', IdPipe) number: number,
    @Query(new ZodPipe(planQuery)) query: z.infer<typeof planQuery>,
    @Body(new ZodPipe(assessCriteriaSchema)) body: AssessCriteria,
    @Req() req: AuthenticatedRequest,
  ) {
    return this.criteria.assess(await this.plans.resolvePlanId(query.plan), number, body, req.principal!.name);
  }
}
