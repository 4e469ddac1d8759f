import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
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
import { IdPipe } from '../common/id.pipe.js';
import { ApiBodyFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { actorOf } from '../progress/records.controller.js';
import { QUESTION_MAX, ReviewsService } from './reviews.service.js';
import { RoundsService } from './rounds.service.js';

const question = z
  .string({ message: 'is required: write the question for the committee' })
  .trim()
  .min(1, 'is required: write the question for the committee')
  .max(QUESTION_MAX, `must be at most ${QUESTION_MAX} characters`);

export const reviewAnswer = z
  .strictObject({
    action: z.enum(['reviewed', 'returned'], { message: 'must be reviewed or returned' }),
    question: z
      .string()
      .trim()
      .max(QUESTION_MAX, `must be at most ${QUESTION_MAX} characters`)
      .optional()
      .meta({ description: 'What the committee should answer; required when the answer is returned' }),
  })
  .superRefine((body, ctx) => {
    if (body.action === 'returned' && !body.question)
      ctx.addIssue({
        code: 'custom',
        path: ['question'],
        message: 'is required when an answer is returned: write the question for the committee',
      });
  })
  .meta({ examples: [{ action: 'returned', question: 'Hvornår blev rapporten udgivet, og hvor kan den findes?' }] });
export const askQuestion = z
  .strictObject({ question })
  .meta({ examples: [{ question: 'Er seminaret flyttet til foråret, eller er det aflyst?' }] });

/**
 * Review of a round's answers (marked reviewed, or returned to the committee with a question) and
 * questions to a committee about a milestone. Reading needs a viewer; acting needs the secretariat.
 */
@ApiTags('review of answers')
@Controller('api')
export class ReviewsController {
  constructor(
    private readonly reviews: ReviewsService,
    private readonly rounds: RoundsService,
  ) {}

  @Get('rounds/:id/answers')
  @ApiOperation({
    summary: "A round's answers (the latest per request and milestone) with their review, and how many are reviewed and returned",
  })
  @ApiNotFoundResponse({ description: 'No such round' })
  async answers(@Param('id', IdPipe) id: number) {
    await this.rounds.get(id);
    return this.reviews.roundAnswers(id);
  }

  @Post('rounds/:id/answers/:updateId/review')
  @HttpCode(201)
  @RequireRole('secretariat')
  @ApiOperation({
    summary: 'Mark an answer reviewed, or return it to the committee with a question',
    description:
      'Returning mails the question to the committee in its language, with its answer link while its round is open. ' +
      'The answer stays recorded until the committee replaces it; its new answer is not reviewed yet.',
  })
  @ApiBodyFrom(reviewAnswer)
  @ApiBadRequestResponse({ description: 'Returned without a question, or a malformed body' })
  @ApiNotFoundResponse({ description: 'No such round, or no such answer in it' })
  @ApiConflictResponse({ description: 'The committee has answered again since: review the newer answer' })
  @ApiForbiddenResponse({ description: 'A viewer' })
  async review(
    @Param('id', IdPipe) id: number,
    @Param('updateId', IdPipe) updateId: number,
    @Body(new ZodPipe(reviewAnswer)) body: z.infer<typeof reviewAnswer>,
    @Req() req: AuthenticatedRequest,
  ) {
    await this.rounds.get(id);
    const decision = body.action === 'returned' ? { action: body.action, question: body.question! } : { action: body.action };
    return this.reviews.review(id, updateId, decision, actorOf(req));
  }

  @Get('milestones/:id/questions')
  @ApiOperation({
    summary: "A milestone's conversation: the secretariat's questions and the committee's answers since the first, oldest first",
  })
  async thread(@Param('id', IdPipe) id: number) {
    return { milestone: id, thread: await this.reviews.thread(id) };
  }

  @Post('milestones/:id/questions')
  @HttpCode(201)
  @RequireRole('secretariat')
  @ApiOperation({
    summary: 'Ask the committee that owns a milestone a question about it',
    description:
      'The committee gets a mail in its language: with its answer link when it has a request in an open round that asks about the milestone, ' +
      'otherwise with the question only, to be answered by replying.',
  })
  @ApiBodyFrom(askQuestion)
  @ApiBadRequestResponse({ description: 'No question, or a malformed body' })
  @ApiNotFoundResponse({ description: 'No such milestone' })
  @ApiForbiddenResponse({ description: 'A viewer' })
  async ask(
    @Param('id', IdPipe) id: number,
    @Body(new ZodPipe(askQuestion)) body: z.infer<typeof askQuestion>,
    @Req() req: AuthenticatedRequest,
  ) {
    return this.reviews.ask(id, body.question, actorOf(req));
  }
}
