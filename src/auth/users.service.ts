import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Language, Role } from '../generated/db/enums.js';
import { AuthRepository } from './auth.repository.js';
import { sha256 } from './auth.service.js';
import { hashPassword, passwordProblem } from './passwords.js';

/** Creating users and API tokens: what the CLI (and later an admin page) does. */
@Injectable()
export class UsersService {
  constructor(private readonly repository: AuthRepository) {}

  async createUser(input: { email: string; password: string; role: Role; name?: string; language?: Language }) {
    const email = input.email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new BadRequestException(`email: "${input.email}" is not an email address`);
    const problem = passwordProblem(input.password, [email, ...email.split('@'), input.name ?? '']);
    if (problem) throw new BadRequestException(`password: ${problem}`);
    if (await this.repository.findUserByEmail(email)) throw new ConflictException(`A user with the email ${email} already exists.`);
    const user = await this.repository.createUser({
      email,
      name: input.name ?? null,
      role: input.role,
      passwordHash: await hashPassword(input.password),
      language: input.language ?? 'en',
    });
    return { id: user.id, email: user.email, role: user.role };
  }

  /** Changes a user's password, by the same rules as a new user's; the user's sessions end. */
  async setPassword(emailInput: string, password: string): Promise<void> {
    const email = emailInput.trim().toLowerCase();
    const user = await this.repository.findUserByEmail(email);
    if (!user) throw new NotFoundException(`There is no user with the email ${email}.`);
    const problem = passwordProblem(password, [email, ...email.split('@'), user.name ?? '']);
    if (problem) throw new BadRequestException(`password: ${problem}`);
    await this.repository.setPassword(email, await hashPassword(password));
  }

  /** The token is shown once; only its hash is kept. */
  async createApiToken(name: string, role: Role): Promise<string> {
    const token = `hp_${randomBytes(32).toString('base64url')}`;
    await this.repository.createApiToken({ name, role, tokenHash: sha256(token) });
    return token;
  }

  /** Revokes the tokens of an integration by its name: they stop working at once. */
  revokeApiTokens(name: string): Promise<number> {
    return this.repository.revokeApiTokens(name);
  }

  listUsers() {
    return this.repository.listUsers();
  }
}
