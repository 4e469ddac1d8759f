import { Injectable } from '@nestjs/common';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/config.module.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * Answer links without accounts. A link's token is HMAC-SHA256(APP_SECRET, "answer:<nonce>"),
 * 256 bits: the database keeps only its SHA-256 (to look it up) and the nonce, so neither a
 * database dump nor a log of outbox rows is enough to answer for someone. Every process with the
 * same secret derives the same link, so the worker can render mail the API decided on.
 */
@Injectable()
export class SignedLinks {
  constructor(private readonly config: AppConfig) {}

  newNonce(): string {
    return randomBytes(16).toString('base64url');
  }

  token(nonce: string): string {
    return createHmac('sha256', this.config.get('APP_SECRET')).update(`answer:${nonce}`).digest('base64url');
  }

  answerUrl(nonce: string): string {
    return `${this.config.get('PUBLIC_URL')}/r/${this.token(nonce)}`;
  }

  /**
   * The secret part of a request's reply address, reports+<key>@INBOUND_DOMAIN: HMAC-SHA256(APP_SECRET,
   * "reply:<nonce>") in 26 characters of lower-case base32 (130 bits), derived like the answer link
   * so the database keeps only its SHA-256 and a dump of it is not enough to answer by mail.
   */
  replyKey(nonce: string): string {
    const mac = createHmac('sha256', this.config.get('APP_SECRET')).update(`reply:${nonce}`).digest();
    let bits = 0;
    let value = 0;
    let key = '';
    for (const byte of mac) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5 && key.length < 26) {
        key += BASE32[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    return key;
  }

  replyAddress(nonce: string): string {
    return `reports+${this.replyKey(nonce)}@${this.config.get('INBOUND_DOMAIN')}`;
  }

  /**
   * The "this was not me" link in the confirmation of an email reply: HMAC(APP_SECRET, "revert:<nonce>"),
   * its own nonce, so it reverts that reply and nothing else; the database keeps its SHA-256.
   */
  revertToken(nonce: string): string {
    return createHmac('sha256', this.config.get('APP_SECRET')).update(`revert:${nonce}`).digest('base64url');
  }

  revertUrl(nonce: string): string {
    return `${this.config.get('PUBLIC_URL')}/not-me/${this.revertToken(nonce)}`;
  }

  static hash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  /**
   * A link to an annual report's file that works without signing in until `expiresAt`: the mail
   * is read where nobody is signed in. The signature is HMAC(APP_SECRET, "report:<id>:<format>:<expires>").
   */
  reportUrl(reportId: number, format: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `${this.config.get('PUBLIC_URL')}/reports/${reportId}/${format}?expires=${expires}&signature=${this.reportSignature(reportId, format, expires)}`;
  }

  /** Whether a report link's signature is ours; its expiry is the caller's to compare with the clock. */
  reportSignatureMatches(reportId: number, format: string, expires: number, signature: string): boolean {
    const expected = Buffer.from(this.reportSignature(reportId, format, expires));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private reportSignature(reportId: number, format: string, expires: number): string {
    return createHmac('sha256', this.config.get('APP_SECRET')).update(`report:${reportId}:${format}:${expires}`).digest('base64url');
  }

  /** Constant-time comparison of a presented token with the one derived from a request's nonce. */
  matches(presented: string, nonce: string): boolean {
    const expected = Buffer.from(this.token(nonce));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
