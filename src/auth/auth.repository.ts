import { Injectable } from '@nestjs/common';
import { jsonBuildObject } from 'kysely/helpers/postgres';
import { Clock } from '../common/clock.js';
import { Database } from '../database/database.js';
import type { Language, Role } from '../generated/db/enums.js';

@Injectable()
export class AuthRepository {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  async findUserByEmail(email: string) {
    return (await this.database.db.selectFrom('User').selectAll().where('email', '=', email).executeTakeFirst()) ?? null;
  }

  createUser(data: { email: string; name: string | null; role: Role; passwordHash: string; language: Language }) {
    return this.database.db
      .insertInto('User')
      .values({ ...data, createdAt: this.clock.now() })
      .returning(['id', 'email', 'role'])
      .executeTakeFirstOrThrow();
  }

  /** A new password; every session of the user ends with the old one. Returns whether there is such a user. */
  async setPassword(email: string, passwordHash: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const user = await tx.updateTable('User').set({ passwordHash }).where('email', '=', email).returning('id').executeTakeFirst();
      if (!user) return false;
      await tx.deleteFrom('Session').where('userId', '=', user.id).execute();
      return true;
    });
  }

  listUsers() {
    return this.database.db
      .selectFrom('User')
      .select(['id', 'email', 'name', 'role', 'language', 'lastLoginAt'])
      .orderBy('email')
      .execute();
  }

  async startSession(userId: number, tokenHash: string, csrf: string, expiresAt: Date, now: Date): Promise<void> {
    await this.database.transaction(async (tx) => {
      await tx.insertInto('Session').values({ userId, tokenHash, csrf, expiresAt, createdAt: now }).execute();
      await tx.updateTable('User').set({ lastLoginAt: now }).where('id', '=', userId).execute();
      // Expired sessions are cleared whenever someone signs in: no separate job needed.
      await tx.deleteFrom('Session').where('expiresAt', '<', now).execute();
    });
  }

  async findSession(tokenHash: string) {
    const session = await this.database.db
      .selectFrom('Session as s')
      .innerJoin('User as u', 'u.id', 's.userId')
      .selectAll('s')
      .select((eb) =>
        jsonBuildObject({
          id: eb.ref('u.id'),
          email: eb.ref('u.email'),
          name: eb.ref('u.name'),
          role: eb.ref('u.role'),
          language: eb.ref('u.language'),
        }).as('user'),
      )
      .where('s.tokenHash', '=', tokenHash)
      .executeTakeFirst();
    return session ?? null;
  }

  async endSession(tokenHash: string): Promise<void> {
    await this.database.db.deleteFrom('Session').where('tokenHash', '=', tokenHash).execute();
  }

  async createApiToken(data: { name: string; tokenHash: string; role: Role }): Promise<void> {
    await this.database.db
      .insertInto('ApiToken')
      .values({ ...data, createdAt: this.clock.now() })
      .execute();
  }

  /** Revokes every token of that name still in use; returns how many. */
  async revokeApiTokens(name: string): Promise<number> {
    const revoked = await this.database.db
      .updateTable('ApiToken')
      .set({ revokedAt: this.clock.now() })
      .where('name', '=', name)
      .where('revokedAt', 'is', null)
      .returning('id')
      .execute();
    return revoked.length;
  }

  async findApiToken(tokenHash: string, now: Date) {
    const token = await this.database.db.selectFrom('ApiToken').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst();
    if (!token || token.revokedAt) return null;
    // "Last used" is for spotting forgotten tokens, so minute precision is plenty; writing it on
    // every request would turn each read of an integration into a write.
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= 60_000) {
      await this.database.db.updateTable('ApiToken').set({ lastUsedAt: now }).where('id', '=', token.id).execute();
    }
    return token;
  }
}
