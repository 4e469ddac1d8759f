import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { idSchema } from '../common/id.pipe.js';
import { paginationSchema, toSkipTake } from '../common/pagination.js';
import { ApiQueryFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { MailTransport } from './mail-transport.js';
import { OutboxRepository } from './outbox.repository.js';

const STATUSES = ['pending', 'sent', 'failed', 'skipped'] as const;
const mailQuery = paginationSchema.extend({
  round: idSchema('a round id').optional(),
  request: idSchema('a request id').optional(),
  status: z.enum(STATUSES, { message: `must be one of ${STATUSES.join(', ')}` }).optional(),
});

@ApiTags('mail')
@Controller('api/mail')
export class MailController {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly transport: MailTransport,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Outgoing mail with its delivery state (newest first)' })
  @ApiQueryFrom(mailQuery)
  async list(@Query(new ZodPipe(mailQuery)) query: z.infer<typeof mailQuery>) {
    const [total, items] = await this.outbox.list(
      { roundId: query.round, requestId: query.request, status: query.status },
      toSkipTake(query),
    );
    return { transport: this.transport.kind, items, page: query.page, pageSize: query.pageSize, total };
  }
}
