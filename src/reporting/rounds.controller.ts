import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { IdPipe, idSchema, MAX_ID } from '../common/id.pipe.js';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireRole } from '../auth/access.decorators.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { ApiBodyFrom, ApiQueryFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { REQUEST_FILTERS, requestMatches, RoundsService } from './rounds.service.js';

const day = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be a date (YYYY-MM-DD) or a date-time (ISO 8601)')
  .meta({ description: 'A date (YYYY-MM-DD) or a date-time (ISO 8601)' });

export const createRound = z
  .strictObject({
    plan: z.number().int().positive().optional().meta({ description: 'Plan id; defaults to the current plan.' }),
    year: z.number({ message: 'must be a year' }).int('must be a whole year'),
    opensAt: day.optional(),
    deadline: day,
    graceUntil: day.optional(),
  })
  .meta({ examples: [{ year: 2023, deadline: '2023-12-01', opensAt: '2023-11-01' }] });
const reason = z.string().trim().min(1, 'say why').max(500, 'at most 500 characters');
export const extendRound = z.strictObject({
  deadline: day,
  graceUntil: day.optional(),
  reason: reason.optional().meta({ description: 'Why, for the round’s history; needed when the round is closed (it is reopened)' }),
});
export const reopenRound = z.strictObject({
  deadline: day,
  graceUntil: day.optional(),
  reason: reason.meta({ description: 'Why, for the round’s history' }),
});
const closeRound = z.strictObject({ reason: reason.optional().meta({ description: 'Why, for the round’s history' }) }).default({});
const listQuery = z.object({
  plan: idSchema('a plan id').optional().meta({ description: 'Plan id; defaults to the current plan.' }),
});
const detailQuery = z.object({
  state: z
    .enum(REQUEST_FILTERS, { message: `must be one of ${REQUEST_FILTERS.join(', ')}` })
    .optional()
    .meta({
      description: 'Only the requests in this state; "missing": every request not answered. The totals always count the whole round.',
    }),
});
const remind = z
  .strictObject({
    organisation: z
      .number()
      .int('must be an organisation id')
      .positive('must be an organisation id')
      .max(MAX_ID, 'must be an organisation id')
      .optional()
      .meta({ description: 'Only this organisation (default: every one still missing)' }),
    confirm: z
      .boolean()
      .optional()
      .meta({ description: 'Remind also those reminded within REMINDER_QUIET_HOURS (default: they are skipped and listed)' }),
  })
  .default({});

@ApiTags('reporting')
@Controller('api/rounds')
export class RoundsController {
  constructor(private readonly rounds: RoundsService) {}

  @Post()
  @RequireRole('secretariat')
  @ApiOperation({
    summary: 'Schedule a reporting round (it opens at once when opensAt is now or past)',
    description: 'Answers with the round and its totals; GET /api/rounds/:id lists every request.',
  })
  @ApiBodyFrom(createRound)
  async create(@Body(new ZodPipe(createRound)) body: z.infer<typeof createRound>) {
    const round = await this.rounds.create(body);
    return this.rounds.overview(round.id);
  }

  @Get()
  @ApiOperation({ summary: 'Rounds of the plan, newest year first' })
  @ApiQueryFrom(listQuery)
  list(@Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>) {
    return this.rounds.list(query.plan);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A round with the state of every request: sent, reminded, answered, overdue, bounced, no contact' })
  @ApiQueryFrom(detailQuery)
  async detail(@Param('id', IdPipe) id: number, @Query(new ZodPipe(detailQuery)) query: z.infer<typeof detailQuery>) {
    const round = await this.rounds.detail(id);
    const { state } = query;
    return state === undefined ? round : { ...round, requests: round.requests.filter((request) => requestMatches(request, state)) };
  }

  @Post(':id/open')
  @RequireRole('secretariat')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Open a scheduled round now (or finish an opening that was interrupted)',
    description: 'Answers with the round and its totals; GET /api/rounds/:id lists every request.',
  })
  async open(@Param('id', IdPipe) id: number) {
    await this.rounds.open(id);
    return this.rounds.overview(id);
  }

  @Post(':id/extend')
  @RequireRole('secretariat')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Move the deadline (and the grace window) later',
    description: 'A closed round is reopened instead (with a reason), within ROUND_REOPEN_DAYS of closing.',
  })
  @ApiBodyFrom(extendRound)
  async extend(
    @Param('id', IdPipe) id: number,
    @Body(new ZodPipe(extendRound)) body: z.infer<typeof extendRound>,
    @Req() req: AuthenticatedRequest,
  ) {
    await this.rounds.extend(id, body, req.principal?.name);
    return this.rounds.detail(id);
  }

  @Post(':id/reopen')
  @RequireRole('secretariat')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Reopen a closed round with a new deadline, within ROUND_REOPEN_DAYS of closing; the reason goes in its history',
  })
  @ApiBodyFrom(reopenRound)
  async reopen(
    @Param('id', IdPipe) id: number,
    @Body(new ZodPipe(reopenRound)) body: z.infer<typeof reopenRound>,
    @Req() req: AuthenticatedRequest,
  ) {
    await this.rounds.reopen(id, body, req.principal?.name);
    return this.rounds.detail(id);
  }

  @Get(':id/history')
  @ApiOperation({ summary: 'What the secretariat did to the round by hand (closed, reopened, extended): who, when, why' })
  async history(@Param('id', IdPipe) id: number) {
    await this.rounds.get(id);
    return this.rounds.events(id);
  }

  @Post(':id/close')
  @RequireRole('secretariat')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Close the round: no more reminders, answer links say the round is over',
    description:
      'Closed before its grace window ends, the round is not taken as ended for the automatic annual report, and can be reopened.',
  })
  @ApiBodyFrom(closeRound)
  async close(
    @Param('id', IdPipe) id: number,
    @Body(new ZodPipe(closeRound)) body: z.infer<typeof closeRound>,
    @Req() req: AuthenticatedRequest,
  ) {
    await this.rounds.close(id, req.principal?.name, body.reason);
    return this.rounds.detail(id);
  }

  @Post(':id/remind')
  @RequireRole('secretariat')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a reminder now to every organisation still missing (or to one)' })
  @ApiBodyFrom(remind)
  remind(@Param('id', IdPipe) id: number, @Body(new ZodPipe(remind)) body: z.infer<typeof remind>) {
    return this.rounds.remindNow(id, body.organisation, { confirm: body.confirm });
  }
}
