import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { IdPipe } from '../common/id.pipe.js';
import { notFound } from '../common/refusal.js';
import { EvidenceService } from './evidence.service.js';
import { sendFile } from './send-file.js';

/** Kept files for signed-in users and API tokens (any role); a committee reaches its own through its link. */
@ApiTags('evidence')
@Controller('attachments')
export class EvidenceController {
  constructor(private readonly evidence: EvidenceService) {}

  @Get(':id')
  @ApiOperation({ summary: 'A kept file (reply attachment or upload), as a download' })
  async download(@Param('id', IdPipe) id: number, @Res() res: Response) {
    const file = await this.evidence.read(id);
    if (!file) throw notFound('problem.no_file', { id }, `There is no kept file ${id}.`);
    sendFile(res, file);
  }
}
