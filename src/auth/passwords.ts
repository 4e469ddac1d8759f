import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

const scrypt = (password: string, salt: Buffer, length: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  );

/** scrypt with N = 2^15, r = 8, p = 1: about 32 MiB and tens of milliseconds per check. */
const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 64;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { ...COST, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * 1024 * 1024,
  });
  return timingSafeEqual(key, expected);
}

/** The weakest zxcvbn score (0–4) accepted: 3 is "safely unguessable" for an online attack. */
const MIN_SCORE = 3;

/** Why zxcvbn found a password guessable, in words (its own texts come in a language pack we do not load). */
const WEAKNESS: Record<string, string> = {
  straightRow: 'it is a row of keys on the keyboard',
  keyPattern: 'it is a pattern of keys on the keyboard',
  simpleRepeat: 'it repeats one character',
  extendedRepeat: 'it repeats a group of characters',
  sequences: 'it is a sequence such as abc or 6543',
  recentYears: 'it is built on a recent year',
  dates: 'it is built on a date',
  topTen: 'it is one of the ten most used passwords',
  topHundred: 'it is one of the hundred most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is close to a commonly used password',
  wordByItself: 'it is a single word',
  namesByThemselves: 'it is a name',
  commonNames: 'it is a common name',
  userInputs: 'it contains the email address or name',
};

let estimator: ZxcvbnFactory | undefined;

/**
 * Rules a secretariat can live with: long enough, and not guessable — checked against lists of
 * common passwords, words and names and for repeats, sequences and keyboard rows by zxcvbn-ts.
 * `context` (the email, the name) counts as known to an attacker.
 */
export function passwordProblem(password: string, context: string[] = []): string | null {
  if (password.length < 12) return 'must be at least 12 characters';
  if (password.length > 200) return 'must be at most 200 characters';
  estimator ??= new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs });
  const result = estimator.check(password, context.filter(Boolean));
  if (result.score >= MIN_SCORE) return null;
  const why = WEAKNESS[result.feedback.warning ?? ''] ?? 'it has too little variety';
  return `must not be easy to guess, and this one is: ${why} (strength ${result.score} of 4, at least ${MIN_SCORE} needed)`;
}
