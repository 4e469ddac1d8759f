import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import type { InboundStatus, Prisma } from '../generated/prisma/client.js';

@Injectable()
export class InboundRepository {
  constructor(private readonly prisma: PrismaService) {}

  async exists(messageId: string): Promise<boolean> {
    return (await this.prisma.inboundMessage.count({ where: { messageId } })) > 0;
  }

  async create(tx: Tx | undefined, data: Prisma.InboundMessageUncheckedCreateInput): Promise<number> {
    const created = await (tx ?? this.prisma).inboundMessage.create({ data, select: { id: true } });
    return created.id;
  }

  find(id: number) {
    return this.prisma.inboundMessage.findUnique({ where: { id } });
  }

  async resolve(tx: Tx | undefined, id: number, data: Prisma.InboundMessageUpdateInput): Promise<void> {
    await (tx ?? this.prisma).inboundMessage.update({ where: { id }, data });
  }

  list(status: InboundStatus | undefined, page: { skip: number; take: number }) {
    const where = { status };
    return this.prisma.$transaction([
      this.prisma.inboundMessage.count({ where }),
      this.prisma.inboundMessage.findMany({
        where,
        orderBy: { id: 'desc' },
        skip: page.skip,
        take: page.take,
        include: { request: { select: { id: true, roundId: true, organisation: { select: { id: true, name: true } } } } },
      }),
    ]);
  }
}
