import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { IdPipe, idSchema, MAX_ID } from '../common/id.pipe.js';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireRole } from '../auth/access.decorators.js';
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
export const extendRound = z.strictObject({ deadline: day, graceUntil: day.optional() });
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
  @ApiOperation({ summary: 'Move the deadline (and the grace window) later' })
  @ApiBodyFrom(extendRound)
  async extend(@Param('id', IdPipe) id: number, @Body(new ZodPipe(extendRound)) body: z.infer<typeof extendRound>) {
    await this.rounds.extend(id, body);
    return this.rounds.detail(id);
  }

  @Post(':id/close')
  @RequireRole('secretariat')
  @HttpCode(200)
  @ApiOperation({ summary: 'Close the round: no more reminders, answer links say the round is over' })
  async close(@Param('id', IdPipe) id: number) {
    await this.rounds.close(id);
    return this.rounds.detail(id);
  }

  @Post(':id/remind')
  @RequireRole('secretariat')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a reminder now to every organisation still missing (or to one)' })
  @ApiBodyFrom(remind)
  remind(@Param('id', IdPipe) id: number, @Body(new ZodPipe(remind)) body: z.infer<typeof remind>) {
    return this.rounds.remindNow(id, body.organisation);
  }
}
