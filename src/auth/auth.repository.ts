import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { Language, Role } from '../generated/prisma/client.js';

@Injectable()
export class AuthRepository {
  constructor(private readonly prisma: PrismaService) {}

  findUserByEmail(email: string) {
    return this.prisma.user.findUnique({ where: { email } });
  }

  createUser(data: { email: string; name: string | null; role: Role; passwordHash: string; language: Language }) {
    return this.prisma.user.create({ data });
  }

  listUsers() {
    return this.prisma.user.findMany({
      orderBy: { email: 'asc' },
      select: { id: true, email: true, name: true, role: true, language: true, lastLoginAt: true },
    });
  }

  async startSession(userId: number, tokenHash: string, csrf: string, expiresAt: Date, now: Date): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.session.create({ data: { userId, tokenHash, csrf, expiresAt } }),
      this.prisma.user.update({ where: { id: userId }, data: { lastLoginAt: now } }),
      // Expired sessions are cleared whenever someone signs in: no separate job needed.
      this.prisma.session.deleteMany({ where: { expiresAt: { lt: now } } }),
    ]);
  }

  findSession(tokenHash: string) {
    return this.prisma.session.findUnique({
      where: { tokenHash },
      include: { user: { select: { id: true, email: true, name: true, role: true, language: true } } },
    });
  }

  async endSession(tokenHash: string): Promise<void> {
    await this.prisma.session.deleteMany({ where: { tokenHash } });
  }

  createApiToken(data: { name: string; tokenHash: string; role: Role }) {
    return this.prisma.apiToken.create({ data });
  }

  async findApiToken(tokenHash: string, now: Date) {
    const token = await this.prisma.apiToken.findUnique({ where: { tokenHash } });
    if (!token || token.revokedAt) return null;
    // "Last used" is for spotting forgotten tokens, so minute precision is plenty; writing it on
    // every request would turn each read of an integration into a write.
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= 60_000) {
      await this.prisma.apiToken.updateMany({ where: { id: token.id }, data: { lastUsedAt: now } });
    }
    return token;
  }
}
