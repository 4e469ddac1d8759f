import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';

/** The few reads and writes only the dashboard needs. */
@Injectable()
export class DashboardRepository {
  constructor(private readonly prisma: PrismaService) {}

  async filterChoices(planId: number) {
    const [goals, interventions, organisations] = await Promise.all([
      this.prisma.goal.findMany({ where: { planId }, orderBy: { number: 'asc' }, select: { number: true, title: true } }),
      this.prisma.intervention.findMany({
        where: { planId },
        orderBy: [{ goal: { number: 'asc' } }, { position: 'asc' }],
        select: { code: true },
      }),
      this.prisma.organisation.findMany({
        where: { contributions: { some: { planId } } },
        orderBy: { name: 'asc' },
        select: { id: true, name: true },
      }),
    ]);
    return { goals, interventions, organisations };
  }

  organisation(id: number, planId: number) {
    return this.prisma.organisation.findUnique({
      where: { id },
      include: {
        contacts: { orderBy: { id: 'asc' } },
        contributions: {
          where: { planId },
          orderBy: [{ goal: { number: 'asc' } }, { position: 'asc' }],
          select: {
            key: true,
            intervention: { select: { code: true } },
            goal: { select: { number: true } },
            milestones: {
              orderBy: { position: 'asc' },
              select: { id: true, label: true, text: true, state: true, progress: true, dueFrom: true, dueTo: true },
            },
          },
        },
        requests: {
          orderBy: { id: 'desc' },
          select: {
            id: true,
            status: true,
            answeredAt: true,
            late: true,
            round: { select: { id: true, year: true } },
            messages: { orderBy: { id: 'asc' }, select: { template: true, status: true, sentAt: true, createdAt: true } },
            inbound: { orderBy: { id: 'asc' }, select: { id: true, status: true, receivedAt: true, reason: true } },
          },
        },
      },
    });
  }

  /** The contacts as typed by an admin: real addresses now, so none of them is a placeholder. */
  async replaceContacts(organisationId: number, emails: string[]): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.contact.deleteMany({ where: { organisationId, email: { notIn: emails } } });
      for (const email of emails) {
        await tx.contact.upsert({
          where: { organisationId_email: { organisationId, email } },
          create: { organisationId, email, placeholder: false },
          update: { placeholder: false },
        });
      }
    });
  }
}
