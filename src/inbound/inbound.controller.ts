import {
  UnauthorizedException,
  BadRequestException,
  NotFoundException,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { IdPipe } from '../common/id.pipe.js';
import { ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { Public, RequireRole } from '../auth/access.decorators.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { AppConfig } from '../config/config.module.js';
import { paginationSchema, toSkipTake } from '../common/pagination.js';
import { ApiQueryFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { InboundRepository } from './inbound.repository.js';
import { InboundService, MalformedMessage } from './inbound.service.js';

const STATUSES = ['applied', 'in_review', 'accepted', 'rejected', 'dropped'] as const;
const listQuery = paginationSchema.extend({ status: z.enum(STATUSES, { message: `must be one of ${STATUSES.join(', ')}` }).optional() });

/** Compared in constant time, so the token cannot be found a character at a time. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

@ApiTags('inbound')
@Controller('api/inbound')
export class InboundController {
  constructor(
    private readonly inbound: InboundService,
    private readonly messages: InboundRepository,
    private readonly config: AppConfig,
  ) {}

  /** For mail providers' inbound webhooks: the raw message, as received. */
  @Post('email')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Receive a reply as a raw RFC 5322 message (Content-Type: message/rfc822)' })
  @ApiConsumes('message/rfc822')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  async email(@Req() req: Request) {
    const secret = this.config.get('INBOUND_WEBHOOK_TOKEN');
    // Open to anyone, it would take forged replies; in production it is off until it has a token.
    if (!secret && this.config.get('NODE_ENV') === 'production')
      throw new NotFoundException('The inbound-mail webhook is off: set INBOUND_WEBHOOK_TOKEN to turn it on.');
    if (secret && !sameSecret(req.headers.authorization ?? '', `Bearer ${secret}`))
      throw new UnauthorizedException('This endpoint needs the webhook token (Authorization: Bearer <INBOUND_WEBHOOK_TOKEN>).');
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
      throw new BadRequestException('Send the raw message as the request body with Content-Type: message/rfc822.');
    }
    try {
      return await this.inbound.receive(req.body);
    } catch (error) {
      if (error instanceof MalformedMessage) throw new BadRequestException(error.message);
      throw error;
    }
  }

  @Get()
  @ApiOperation({ summary: 'Replies received by email, with what was made of them (the review queue is status=in_review)' })
  @ApiQueryFrom(listQuery)
  async list(@Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>) {
    const [total, items] = await this.messages.list(query.status, toSkipTake(query));
    return { items, page: query.page, pageSize: query.pageSize, total };
  }

  @Post(':id/accept')
  @RequireRole('secretariat')
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept a reply from the review queue: what could be read is recorded' })
  accept(@Param('id', IdPipe) id: number, @Req() req: AuthenticatedRequest) {
    return this.inbound.review(id, 'accept', req.principal!.name);
  }

  @Post(':id/reject')
  @RequireRole('secretariat')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a reply from the review queue: nothing is recorded' })
  reject(@Param('id', IdPipe) id: number, @Req() req: AuthenticatedRequest) {
    return this.inbound.review(id, 'reject', req.principal!.name);
  }
}
