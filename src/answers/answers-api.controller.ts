import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { Public } from '../auth/access.decorators.js';
import { ApiBodyFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { MILESTONE_STATES } from '../common/milestone-states.js';
import { AnswersService } from './answers.service.js';

export const submission = z
  .strictObject({
    answers: z
      .array(
        z.object({
          number: z.number({ message: 'must be the milestone number from the status request' }).int().positive(),
          state: z.enum(MILESTONE_STATES, { message: `must be one of ${MILESTONE_STATES.join(', ')}` }),
          progress: z.number().nullish(),
          comment: z.string().nullish(),
          evidenceUrl: z.string().nullish(),
        }),
      )
      .max(1_000),
    final: z.boolean().default(false).meta({ description: 'true: the report is complete (every milestone asked for must be answered).' }),
  })
  .meta({
    examples: [
      {
        answers: [
          { number: 1, state: 'completed', progress: 100, comment: 'Report published in May', evidenceUrl: 'https://example.org/report' },
        ],
        final: false,
      },
    ],
  });

/** The answer form as JSON, for integrations: the same token, rules and rate limits. */
@ApiTags('answers')
@Public()
@Controller('api/answers')
export class AnswersApiController {
  constructor(private readonly answers: AnswersService) {}

  @Get(':token')
  @ApiOperation({
    summary: 'What a personal link asks for: the milestones, their current state, any draft and the secretariat’s questions',
  })
  async show(@Param('token') token: string, @Req() req: Request) {
    const request = await this.answers.requestForToken(token, req.ip ?? 'unknown');
    const view = this.answers.view(request);
    // The secretariat's questions about each milestone, and the answers since, as the form shows them.
    const threads = await this.answers.threads(request);
    const ids = new Map(request.milestones.map((row) => [row.number, row.milestoneId]));
    return { ...view, milestones: view.milestones.map((m) => ({ ...m, thread: threads.get(ids.get(m.number)!) ?? [] })) };
  }

  @Post(':token')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record answers for the milestones of a personal link' })
  @ApiBodyFrom(submission)
  async submit(@Param('token') token: string, @Body(new ZodPipe(submission)) body: z.infer<typeof submission>, @Req() req: Request) {
    const request = await this.answers.requestForToken(token, req.ip ?? 'unknown');
    const result = await this.answers.submit(request, body.answers, {
      channel: 'api',
      actor: `api:${request.organisation.name}`,
      final: body.final,
    });
    // Recorded all the same (as an email line would be); the numbers tell the integration what to complete.
    return { recorded: result.recorded.length, late: result.late, complete: result.complete, withoutReason: result.withoutReason };
  }
}
