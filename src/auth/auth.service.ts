import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { Clock } from '../common/clock.js';
import { RateLimiter, type AttemptLimit } from '../common/rate-limiter.js';
import { AuthRepository } from './auth.repository.js';
import { verifyPassword } from './passwords.js';
import type { Principal } from './principal.js';

export const SESSION_HOURS = 12;
const LOGIN_FAILURES = 5;
const LOGIN_WINDOW_SECONDS = 15 * 60;
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export class SignInRefused extends Error {
  constructor(readonly reason: 'invalid' | 'locked') {
    super(reason === 'locked' ? 'Too many failed attempts. Try again in 15 minutes.' : 'Wrong email or password.');
  }
}

/** Sign-in, sessions and API tokens. Secrets are random; only their hashes are stored. */
@Injectable()
export class AuthService {
  private readonly emailAttempts: AttemptLimit;
  private readonly addressAttempts: AttemptLimit;

  constructor(
    private readonly repository: AuthRepository,
    limiter: RateLimiter,
    private readonly clock: Clock,
  ) {
    this.emailAttempts = limiter.limit('login-email', LOGIN_FAILURES, LOGIN_WINDOW_SECONDS);
    this.addressAttempts = limiter.limit('login-ip', LOGIN_FAILURES * 4, LOGIN_WINDOW_SECONDS);
  }

  /**
   * Checks a password. Failures are counted per email and per client address; after five for an
   * email the account (from anywhere) is refused for a quarter of an hour, after twenty from an
   * address the address is.
   */
  async signIn(emailInput: string, password: string, client: string): Promise<{ token: string; expiresAt: Date }> {
    const email = emailInput.trim().toLowerCase();
    // An attempt takes its points before the password is checked, so that attempts made in
    // parallel cannot all be checked; a success gives them back. The address is only charged for
    // attempts the email's limit lets through.
    if (!(await this.emailAttempts.take(email)) || !(await this.addressAttempts.take(client))) {
      throw new SignInRefused('locked');
    }
    const user = await this.repository.findUserByEmail(email);
    // Without a user, a password is still checked against a dummy hash, so timing reveals nothing.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new SignInRefused('invalid');
    await this.emailAttempts.reset(email);
    await this.addressAttempts.giveBack(client);
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3_600_000);
    await this.repository.startSession(user.id, sha256(token), randomBytes(24).toString('base64url'), expiresAt, now);
    return { token, expiresAt };
  }

  async signOut(token: string): Promise<void> {
    await this.repository.endSession(sha256(token));
  }

  async sessionPrincipal(token: string): Promise<Principal | null> {
    const session = await this.repository.findSession(sha256(token));
    if (!session || session.expiresAt < this.clock.now()) return null;
    const { user } = session;
    return { kind: 'user', id: user.id, name: user.name ?? user.email, role: user.role, language: user.language, csrf: session.csrf };
  }

  async tokenPrincipal(token: string): Promise<Principal | null> {
    const found = await this.repository.findApiToken(sha256(token), this.clock.now());
    return found ? { kind: 'token', id: found.id, name: found.name, role: found.role, language: 'en' } : null;
  }
}

// The hash of a random password nobody knows, for constant-time refusals of unknown emails.
const DUMMY_HASH =
  'scrypt$32768$8$1$8Zl3nrc0fSyhmRWXK3w5cg$0J8mcm6Xq1ck0o4vhPq6uXSpZ8gIFpvMsbYD8vO6hZl4Q2cfT0Iq5g3tqzv1wVQ4eCZpU3o4W5Xh7i9jK1lM2g';
