import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { IdPipe, idSchema } from '../common/id.pipe.js';
import { ApiBodyFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { FollowsService } from './follows.service.js';

export const followBody = z
  .union(
    [
      z.strictObject({
        goal: z.number({ message: 'must be a goal number' }).int('must be a goal number').positive('must be a goal number'),
        plan: idSchema('a plan id').optional().meta({ description: 'Plan id; defaults to the current plan.' }),
      }),
      z.strictObject({ organisation: idSchema('an organisation id') }),
    ],
    { message: 'must name either a goal ({"goal": 3}) or an organisation ({"organisation": 12}), not both' },
  )
  .meta({ examples: [{ goal: 3 }] });

/**
 * A signed-in user's follows of goals and organisations: the daily digest mails the milestone
 * state changes in them. Any role that can view may follow; an API token cannot.
 */
@ApiTags('follows')
@Controller('api/follows')
export class FollowsController {
  constructor(private readonly follows: FollowsService) {}

  @Get()
  @ApiOperation({ summary: 'What the signed-in user follows' })
  @ApiForbiddenResponse({ description: 'An API token: follows belong to users' })
  list(@Req() req: AuthenticatedRequest) {
    return this.follows.list(req.principal!);
  }

  @Post()
  @ApiOperation({
    summary: 'Follow a goal or an organisation',
    description:
      'The user then gets a daily digest (at FOLLOW_DIGEST_AT) of the milestone state changes there, in their language, ' +
      'when anything changed. Following again changes nothing (200 instead of 201).',
  })
  @ApiBodyFrom(followBody)
  @ApiBadRequestResponse({ description: 'Neither or both of goal and organisation, or a malformed body' })
  @ApiNotFoundResponse({ description: 'No such plan, goal in the plan, or organisation' })
  @ApiForbiddenResponse({ description: 'An API token: follows belong to users' })
  async follow(
    @Body(new ZodPipe(followBody)) body: z.infer<typeof followBody>,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { created, follow } = await this.follows.follow(req.principal!, body);
    res.status(created ? 201 : 200);
    return follow;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop following' })
  @ApiNotFoundResponse({ description: 'The user has no follow with this id' })
  async unfollow(@Param('id', IdPipe) id: number, @Req() req: AuthenticatedRequest) {
    await this.follows.unfollow(req.principal!, id);
  }
}
