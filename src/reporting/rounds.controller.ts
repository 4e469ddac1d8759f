import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { IdPipe, idSchema } from '../common/id.pipe.js';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireRole } from '../auth/access.decorators.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { REQUEST_FILTERS, requestMatches, RoundsService } from './rounds.service.js';

const day = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be a date (YYYY-MM-DD) or a date-time (ISO 8601)');

const createRound = z.strictObject({
  plan: z.number().int().positive().optional(),
  year: z.number({ message: 'must be a year' }).int('must be a whole year'),
  opensAt: day.optional(),
  deadline: day,
  graceUntil: day.optional(),
});
const extendRound = z.strictObject({ deadline: day, graceUntil: day.optional() });
const detailQuery = z.object({ state: z.enum(REQUEST_FILTERS, { message: `must be one of ${REQUEST_FILTERS.join(', ')}` }).optional() });
const remind = z.strictObject({ organisation: z.number().int().positive('must be an organisation id').optional() }).default({});

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
  @ApiBody({ schema: { example: { year: 2023, deadline: '2023-12-01', opensAt: '2023-11-01' } } })
  async create(@Body(new ZodPipe(createRound)) body: z.infer<typeof createRound>) {
    const round = await this.rounds.create(body);
    return this.rounds.overview(round.id);
  }

  @Get()
  @ApiOperation({ summary: 'Rounds of the plan, newest year first' })
  @ApiQuery({ name: 'plan', required: false, type: Number })
  list(@Query('plan', new ZodPipe(idSchema('a plan id').optional())) plan?: number) {
    return this.rounds.list(plan);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A round with the state of every request: sent, reminded, answered, overdue, bounced, no contact' })
  @ApiQuery({
    name: 'state',
    required: false,
    enum: REQUEST_FILTERS,
    description: 'Only the requests in this state; "missing": every request not answered. The totals always count the whole round.',
  })
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
  @ApiBody({ required: false, schema: { example: { organisation: 3 } } })
  remind(@Param('id', IdPipe) id: number, @Body(new ZodPipe(remind)) body: z.infer<typeof remind>) {
    return this.rounds.remindNow(id, body.organisation);
  }
}
