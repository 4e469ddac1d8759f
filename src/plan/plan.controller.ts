import { Controller, Get, Param, Query } from '@nestjs/common';
import { IdPipe, idSchema } from '../common/id.pipe.js';
import { ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public, RequireRole } from '../auth/access.decorators.js';
import { paginationSchema } from '../common/pagination.js';
import { ApiQueryFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { MILESTONE_STATES } from '../common/milestone-states.js';
import { PlanExportService } from './plan-export.service.js';
import { PlanService } from './plan.service.js';

const planQuery = z.object({
  plan: idSchema('a plan id').optional().meta({ description: 'Plan id; defaults to the current plan.' }),
});

export const milestoneQuery = planQuery.extend(paginationSchema.shape).extend({
  organisation: idSchema('an organisation id').optional().meta({ description: 'Owner organisation id' }),
  goal: z.coerce.number().int().positive('must be a goal number').optional().meta({ description: 'Goal number' }),
  intervention: z
    .string()
    .regex(/^[A-Z]\.\d+\.[a-z]$/, 'must be an intervention code such as G.1.a')
    .optional()
    .meta({ description: 'Intervention code, e.g. G.1.a' }),
  dueYear: z.coerce
    .number()
    .int()
    .min(1900, 'must be a year')
    .max(2200, 'must be a year')
    .optional()
    .meta({ description: 'Milestones whose due span includes this year' }),
  state: z.enum(MILESTONE_STATES, { message: `must be one of ${MILESTONE_STATES.join(', ')}` }).optional(),
});

/** The published plan is public; contacts (organisations, the export) need a signed-in viewer. */
@ApiTags('plan')
@Public()
@Controller('api')
export class PlanController {
  constructor(
    private readonly plans: PlanService,
    private readonly exporter: PlanExportService,
  ) {}

  @Get('plans')
  @ApiOperation({ summary: 'All plans' })
  listPlans() {
    return this.plans.listPlans();
  }

  @Get('plans/:id')
  @ApiOperation({ summary: 'The whole tree of one plan: priorities, goals, interventions, contributions, milestones' })
  @ApiNotFoundResponse({ description: 'No such plan' })
  plan(@Param('id', IdPipe) id: number) {
    return this.plans.planTree(id);
  }

  @Get('plans/:id/export')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'The plan as a plan file (what `plan import` reads)' })
  export(@Param('id', IdPipe) id: number) {
    return this.exporter.export(id);
  }

  @Get('goals')
  @ApiOperation({ summary: "The plan's goals with attainment criteria, budgets and interventions" })
  @ApiQueryFrom(planQuery)
  async goals(@Query(new ZodPipe(planQuery)) query: z.infer<typeof planQuery>) {
    return this.plans.goals(await this.plans.resolvePlanId(query.plan));
  }

  @Get('goals/:number')
  @ApiOperation({ summary: 'One goal by its number in the plan ("Mål 6" is 6)' })
  @ApiQueryFrom(planQuery)
  @ApiNotFoundResponse({ description: 'No such goal' })
  async goal(@Param('number', IdPipe) number: number, @Query(new ZodPipe(planQuery)) query: z.infer<typeof planQuery>) {
    return this.plans.goal(await this.plans.resolvePlanId(query.plan), number);
  }

  @Get('interventions/:code')
  @ApiOperation({ summary: 'One intervention by its code, e.g. K.6.d' })
  @ApiQueryFrom(planQuery)
  @ApiNotFoundResponse({ description: 'No such intervention' })
  async intervention(@Param('code') code: string, @Query(new ZodPipe(planQuery)) query: z.infer<typeof planQuery>) {
    return this.plans.intervention(await this.plans.resolvePlanId(query.plan), code);
  }

  @Get('organisations')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'Organisations taking part in the plan' })
  @ApiQueryFrom(planQuery)
  async organisations(@Query(new ZodPipe(planQuery)) query: z.infer<typeof planQuery>) {
    return this.plans.organisations(await this.plans.resolvePlanId(query.plan));
  }

  @Get('milestones')
  @ApiOperation({ summary: 'Milestones and deliverables, filtered and paginated' })
  @ApiQueryFrom(milestoneQuery)
  async milestones(@Query(new ZodPipe(milestoneQuery)) query: z.infer<typeof milestoneQuery>) {
    const planId = await this.plans.resolvePlanId(query.plan);
    const { page, pageSize, plan: _plan, goal, intervention, organisation, ...rest } = query;
    return this.plans.milestones(
      { planId, goalNumber: goal, interventionCode: intervention, organisationId: organisation, ...rest },
      { page, pageSize },
    );
  }

  @Get('milestones/:id')
  @ApiOperation({ summary: 'One milestone with its owner and place in the plan' })
  @ApiNotFoundResponse({ description: 'No such milestone' })
  milestone(@Param('id', IdPipe) id: number) {
    return this.plans.milestone(id);
  }
}
