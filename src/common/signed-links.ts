import { Injectable } from '@nestjs/common';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/config.module.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** A question's reply key (see questionReplyKey): its id up to int4's ten digits, then its mac. */
const QUESTION_KEY = /^q([1-9][0-9]{0,9})x([a-z2-7]{26})$/;

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
    return this.base32Mac(`reply:${nonce}`);
  }

  replyAddress(nonce: string): string {
    return `reports+${this.replyKey(nonce)}@${this.config.get('INBOUND_DOMAIN')}`;
  }

  /**
   * The reply key of a question mailed while its committee had no open request: q<id>x<mac>, the
   * mac HMAC-SHA256(APP_SECRET, "question-reply:<id>") in 26 base32 characters. Derived from the
   * question's id, so nothing is stored; never 26 characters long, so never a request's key.
   */
  questionReplyKey(questionId: number): string {
    return `q${questionId}x${this.base32Mac(`question-reply:${questionId}`)}`;
  }

  questionReplyAddress(questionId: number): string {
    return `reports+${this.questionReplyKey(questionId)}@${this.config.get('INBOUND_DOMAIN')}`;
  }

  /**
   * The question a reply key names, and whether its mac is ours (compared in constant time); null
   * for a key that is not shaped like a question's (a request's key).
   */
  questionOfReplyKey(key: string): { questionId: number; genuine: boolean } | null {
    const match = QUESTION_KEY.exec(key);
    if (!match) return null;
    const questionId = Number(match[1]);
    const expected = Buffer.from(this.base32Mac(`question-reply:${questionId}`));
    const given = Buffer.from(match[2]!);
    return { questionId, genuine: given.length === expected.length && timingSafeEqual(given, expected) };
  }

  /** HMAC-SHA256(APP_SECRET, message) in 26 characters of lower-case base32 (130 bits): fits a mailbox name. */
  private base32Mac(message: string): string {
    const mac = createHmac('sha256', this.config.get('APP_SECRET')).update(message).digest();
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
