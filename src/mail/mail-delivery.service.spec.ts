import { Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { Clock } from '../common/clock.js';
import type { SignedLinks } from '../common/signed-links.js';
import type { AppConfig } from '../config/config.module.js';
import type { QueueService } from '../queue/queue.service.js';
import type { ComposeThreads } from './compose/compose-threads.js';
import { describeSmtpError, isPermanent, MailDeliveryService, type SmtpError } from './mail-delivery.service.js';
import type { MailTransport } from './mail-transport.js';
import type { OutboxRepository } from './outbox.repository.js';

/** An error as nodemailer reports it: an SMTP reply carries responseCode and response, a socket problem a code. */
const smtpError = (fields: Partial<SmtpError> & { message?: string }): SmtpError =>
  Object.assign(new Error(fields.message ?? 'failed'), fields);

describe('isPermanent: which SMTP failures are not worth retrying', () => {
  it.each([500, 550, 552, 554, 599])('a %i reply is permanent', (responseCode) => {
    expect(isPermanent(smtpError({ responseCode }))).toBe(true);
  });

  it.each([421, 450, 451, 452, 499, 600, 250])('a %i reply is temporary', (responseCode) => {
    expect(isPermanent(smtpError({ responseCode }))).toBe(false);
  });

  it.each(['ETIMEDOUT', 'ECONNECTION', 'ESOCKET', 'ECONNREFUSED', 'ECOMPOSE'])('%s without a reply is temporary', (code) => {
    expect(isPermanent(smtpError({ code }))).toBe(false);
  });

  it('is temporary for an error with no code and no reply', () => {
    expect(isPermanent(new Error('something odd'))).toBe(false);
  });
});

describe('describeSmtpError: the reason recorded on the message', () => {
  it('names the reply code and the server’s answer', () => {
    expect(describeSmtpError(smtpError({ responseCode: 550, response: '550 5.1.1 mailbox unavailable', message: 'Message failed' }))).toBe(
      'SMTP 550: 550 5.1.1 mailbox unavailable',
    );
    expect(describeSmtpError(smtpError({ responseCode: 451, message: 'try again later' }))).toBe('SMTP 451: try again later');
  });

  it('says a time-out is the server not answering', () => {
    expect(describeSmtpError(smtpError({ code: 'ETIMEDOUT', message: 'Greeting never received' }))).toBe(
      'timed out: the SMTP server did not answer (Greeting never received)',
    );
  });

  it('gives a network error its code, and an error without one "error"', () => {
    expect(describeSmtpError(smtpError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:25' }))).toBe(
      'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:25',
    );
    expect(describeSmtpError(new Error('odd'))).toBe('error: odd');
  });

  it('keeps a compose failure’s own message', () => {
    expect(describeSmtpError(smtpError({ code: 'ECOMPOSE', message: 'could not compose the message: no round' }))).toBe(
      'could not compose the message: no round',
    );
  });

  it('cuts a long answer to 300 characters', () => {
    const described = describeSmtpError(smtpError({ responseCode: 554, response: 'x'.repeat(1000) }));
    expect(described).toBe(`SMTP 554: ${'x'.repeat(300)}`);
  });
});

describe('MailDeliveryService: what a failed send does to the message and the job', () => {
  beforeAll(() => {
    Logger.overrideLogger(false); // the refusals it logs are expected here
  });
  afterAll(() => {
    Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']);
  });
  const message = {
    id: 1,
    status: 'pending',
    roundState: 'open',
    template: 'status-request',
    language: 'da',
    data: {},
    recipients: ['kvarken@example.org'],
    replyTo: null,
    messageId: '<1@handlingsplan.test>',
    handingAt: null,
    possiblyTwice: false,
  };

  /** The service with every collaborator faked: the transport fails with `error`, the outbox records calls. */
  function service(error: Error | null, send?: () => Promise<void>) {
    const calls: unknown[][] = [];
    const outbox = {
      claimForDelivery: (ids: number[]) => Promise.resolve(ids.map(() => message)),
      markGivenUp: (...args: unknown[]) => Promise.resolve(void calls.push(['markGivenUp', ...args])),
      markAttemptFailed: (...args: unknown[]) => Promise.resolve(void calls.push(['markAttemptFailed', ...args])),
      markSentMany: (rows: unknown[]) => Promise.resolve(void calls.push(['markSentMany', rows.length])),
    };
    const transport = {
      send: send ?? (() => (error ? Promise.reject(error) : Promise.resolve())),
    };
    const composer = { compose: () => Promise.resolve({ raw: new Uint8Array(), subject: 'Subject' }) };
    const settings: Record<string, unknown> = { MAIL_FROM: 'noreply@handlingsplan.test', SMTP_TIMEOUT_MS: 500 };
    const config = { get: (key: string) => settings[key] };
    const clock = new (class extends Clock {
      override now() {
        return new Date('2024-11-01T08:00:00Z');
      }
    })();
    const delivery = new MailDeliveryService(
      outbox as unknown as OutboxRepository,
      transport as unknown as MailTransport,
      composer as unknown as ComposeThreads,
      {} as SignedLinks,
      {} as QueueService,
      config as unknown as AppConfig,
      clock,
    );
    return { delivery, calls };
  }
  const job = (attemptsMade: number) => ({ attemptsMade, opts: { attempts: 3 } });

  it('records a sent message as sent', async () => {
    const { delivery, calls } = service(null);
    await expect(delivery.deliver(1, job(0))).resolves.toBe('sent');
    expect(calls).toEqual([['markSentMany', 1]]);
  });

  it('puts back a second job for a message it is still sending, without sending it twice', async () => {
    let sends = 0;
    let finish = () => {};
    const { delivery, calls } = service(null, () => {
      sends++;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const first = delivery.deliver(1, job(0));
    await new Promise((resolve) => setImmediate(resolve));
    // The same job again, as BullMQ hands out a job whose lock ran out: put back for two SMTP time-outs.
    await expect(delivery.deliver(1, job(0))).rejects.toEqual(expect.objectContaining({ name: 'RunLater', delayMs: 1_000 }));
    finish();
    await expect(first).resolves.toBe('sent');
    expect(sends).toBe(1);
    expect(calls).toEqual([['markSentMany', 1]]);
  });

  it('gives up at once on a permanent refusal (5xx), as unrecoverable so BullMQ does not retry', async () => {
    const { delivery, calls } = service(smtpError({ responseCode: 550, response: '550 no such user' }));
    const failure = delivery.deliver(1, job(0));
    await expect(failure).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(failure).rejects.toThrow('SMTP 550: 550 no such user');
    expect(calls).toEqual([['markGivenUp', 1, 'failed', 'SMTP 550: 550 no such user', true]]);
  });

  it.each([
    ['a temporary refusal (4xx)', smtpError({ responseCode: 451, message: 'try again later' }), 'SMTP 451: try again later'],
    ['a time-out', smtpError({ code: 'ETIMEDOUT', message: 'Greeting never received' }), 'timed out: the SMTP server did not answer'],
    ['a refused connection', smtpError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }), 'ECONNREFUSED: connect ECONNREFUSED'],
  ])('records %s as an attempt and throws it back for a retry', async (_what, error, reason) => {
    const { delivery, calls } = service(error);
    const failure = delivery.deliver(1, job(0));
    await expect(failure).rejects.toThrow(reason);
    await expect(failure).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(calls).toEqual([['markAttemptFailed', 1, expect.stringContaining(reason)]]);
  });

  it('gives up on a temporary failure at the last attempt, saying how many were made', async () => {
    const { delivery, calls } = service(smtpError({ responseCode: 421, message: 'busy' }));
    await expect(delivery.deliver(1, job(1))).rejects.toThrow('SMTP 421: busy');
    expect(calls).toEqual([['markAttemptFailed', 1, 'SMTP 421: busy']]);
    calls.length = 0;
    await expect(delivery.deliver(1, job(2))).rejects.toThrow('SMTP 421: busy');
    expect(calls).toEqual([['markGivenUp', 1, 'failed', 'gave up after 3 attempts: SMTP 421: busy', true]]);
  });
});
