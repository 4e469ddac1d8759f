import { BadRequestException, Controller, Get, Param, Query } from '@nestjs/common';
import { IdPipe, idSchema } from '../common/id.pipe.js';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { paginationSchema } from '../common/pagination.js';
import { Public } from '../auth/access.decorators.js';
import { ApiQueryFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { PlanService } from '../plan/plan.service.js';
import { calendarDay } from '../common/dates.js';
import { AttainmentService, TREE_LEVELS } from './attainment.service.js';
import { CriteriaService } from './criteria.service.js';

const day = calendarDay;

const attainmentQuery = z.object({
  plan: idSchema('a plan id').optional().meta({ description: 'Plan id; defaults to the current plan.' }),
  asOf: day.optional().meta({
    description: 'YYYY-MM-DD; its year is the reference year of "overdue" (default: today). States are the current ones.',
  }),
  at: z
    .string()
    .refine(
      (value) => /^\d{4}-\d{2}-\d{2}($|T)/.test(value) && !Number.isNaN(Date.parse(value)),
      'must be a date (YYYY-MM-DD) or an ISO 8601 instant',
    )
    .optional()
    .meta({
      description:
        'A day (to its end, where the secretariat sits) or an instant: the figures as the milestone history stood then; its year is the reference year of "overdue". Not with year or asOf.',
    }),
  year: z.coerce
    .number({ message: 'must be a year such as 2023' })
    .int('must be a year such as 2023')
    .min(1900, 'must be a year such as 2023')
    .max(2999, 'must be a year such as 2023')
    .optional()
    .meta({
      description:
        "A reporting year: that year's figures of record, the same as its annual report (its round's answers and earlier rounds', corrections up to the year's approval or its round's close). Not with asOf or at.",
    }),
});

/** `year`, `at` and `asOf` ask for different things; more than one at once is a mistake worth naming. */
function when(query: { asOf?: string; year?: number; at?: string }) {
  const given = (['year', 'at', 'asOf'] as const).filter((name) => query[name] !== undefined);
  if (given.length > 1)
    throw new BadRequestException(
      `${given.join(' and ')}: give one of them (year for a year of record, at for the history at a moment, asOf for today's states with another reference year).`,
    );
  return { asOf: query.asOf, year: query.year, at: query.at };
}

/** How much of the tree the plan's attainment carries: a plan of thousands of contributions is megabytes in full. */
export const planAttainmentQuery = attainmentQuery.extend({
  depth: z
    .enum(TREE_LEVELS, { message: `must be one of ${TREE_LEVELS.join(', ')}` })
    .default('contributions')
    .meta({
      description: 'The deepest level of the tree to include (default: contributions, the whole tree). Figures are the same at any depth.',
    }),
  organisations: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .optional()
    .meta({ description: 'The per-organisation list (default: only with depth=contributions).' }),
});

const overdueQuery = attainmentQuery.extend(paginationSchema.shape).extend({
  organisation: idSchema('an organisation id').optional().meta({ description: 'Owner organisation id' }),
  goal: z.coerce.number().int().positive('must be a goal number').optional().meta({ description: 'Goal number' }),
  intervention: z
    .string()
    .regex(/^[A-Z]\.\d+\.[a-z]$/, 'must be an intervention code such as G.1.a')
    .optional()
    .meta({ description: 'Intervention code, e.g. G.1.a' }),
});

const FIGURES =
  'Each level carries figures, each with a `formula` in plain English with the numbers substituted: ' +
  '`counts` by state; `completion` = completed / (all − cancelled); `overdue` = due before the reference year and neither completed nor cancelled ' +
  '(no due year: never overdue); `atRisk` = state at_risk + state delayed; `averageProgress` = mean progress of the milestones not cancelled; ' +
  '`budgetWeighted` at plan and priority level = goal completions weighted by goal budget totals (goals without one are left out), ' +
  'at goal level = contribution completions weighted by contribution budgets when they are in one currency; null elsewhere and without budgets.';

/**
 * Roll-ups and the overdue list. Registered before PlanController (ProgressModule comes first in
 * AppModule), so /api/milestones/overdue is not taken for /api/milestones/:id with id "overdue".
 * The figures are public like the published plan; the overdue list and histories name the people
 * who answered and what they wrote, so they need a signed-in viewer (the default).
 */
@ApiTags('progress')
@Controller('api')
export class ProgressController {
  constructor(
    private readonly plans: PlanService,
    private readonly attainment: AttainmentService,
    private readonly criteria: CriteriaService,
  ) {}

  @Get('attainment')
  @Public()
  @ApiOperation({
    summary: 'Attainment of the plan, every priority, goal, intervention, contribution and organisation',
    description: FIGURES,
  })
  @ApiQueryFrom(planAttainmentQuery)
  @ApiBadRequestResponse({ description: 'A malformed plan, asOf, depth or organisations' })
  async plan(@Query(new ZodPipe(planAttainmentQuery)) query: z.infer<typeof planAttainmentQuery>) {
    const organisations = query.organisations === undefined ? query.depth === 'contributions' : query.organisations === 'true';
    return this.attainment.planView(await this.plans.resolvePlanId(query.plan), when(query), { depth: query.depth, organisations });
  }

  @Get('goals/:number/attainment')
  @Public()
  @ApiOperation({
    summary: 'Attainment of one goal, its interventions and contributions, and its criteria',
    description:
      FIGURES +
      ' `criteria` is the goal attainment by its own criteria for the reference year (GET /api/goals/:number/criteria): ' +
      'the verdict of each with its justification, and a summary such as "3 of 4 criteria met, 1 partly".',
  })
  @ApiQueryFrom(attainmentQuery)
  @ApiNotFoundResponse({ description: 'No such goal' })
  async goal(@Param('number', IdPipe) number: number, @Query(new ZodPipe(attainmentQuery)) query: z.infer<typeof attainmentQuery>) {
    const planId = await this.plans.resolvePlanId(query.plan);
    const attainment = await this.attainment.goal(planId, number, when(query));
    // Beside the milestone figures, the goal's criteria as assessed for the same year: as they stood
    // at the moment asked for, or for a year of record up to its approval (they are assessed after the year).
    const { kind, cutoff, approval } = attainment.figuresOf;
    const bound = kind === 'at' ? cutoff : kind === 'year-of-record' ? (approval?.at ?? null) : null;
    const until = bound === null ? undefined : new Date(bound);
    return { ...attainment, criteria: await this.criteria.forGoal(planId, number, attainment.referenceYear, until) };
  }

  @Get('milestones/overdue')
  @ApiOperation({
    summary: 'Overdue milestones, the most years late first',
    description:
      'Due before the reference year (the year of asOf) and neither completed nor cancelled. Sorted by years late, then goal number, ' +
      "intervention code (a goal's own contributions first), contribution and milestone position. Each comes with its last update.",
  })
  @ApiQueryFrom(overdueQuery)
  @ApiBadRequestResponse({ description: 'A malformed parameter, named in the message' })
  async overdue(@Query(new ZodPipe(overdueQuery)) query: z.infer<typeof overdueQuery>) {
    const planId = await this.plans.resolvePlanId(query.plan);
    const { page, pageSize, organisation, goal, intervention } = query;
    return this.attainment.overdue(
      { planId, ...when(query), organisationId: organisation, goalNumber: goal, interventionCode: intervention },
      { page, pageSize },
    );
  }

  @Get('milestones/:id/history')
  @ApiOperation({ summary: "Every change of a milestone's state, oldest first: who, when, by which channel, from what to what" })
  @ApiNotFoundResponse({ description: 'No such milestone' })
  history(@Param('id', IdPipe) id: number) {
    return this.attainment.history(id);
  }
}
