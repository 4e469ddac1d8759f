import { simpleParser, type ParsedMail } from 'mailparser';
import { AppConfig } from '../../src/config/config.module.js';
import { ComposeThreads } from '../../src/mail/compose/compose-threads.js';
import { MessageComposer, type ComposeRequest } from '../../src/mail/compose/message-composer.js';
import { startTestApp, type TestApp } from '../support/app.js';

/** A digest as the outbox holds it (dates as ISO strings, after JSON), with its answer link filled in. */
function digestRequest(n: number, language: ComposeRequest['language'] = 'da'): ComposeRequest {
  return {
    template: 'status-request',
    language,
    from: 'handlingsplan@example.org',
    to: [`kontakt${n}@kvarken.example.org`, 'sekretariat@kvarken.example.org'],
    replyTo: `reports+key${n}@reports.example.org`,
    messageId: `<digest-${n}@example.org>`,
    data: {
      organisation: { name: `Kvarkenrådet ${n}` },
      plan: { title: 'Nordisk handlingsplan 2021-24' },
      round: { year: 2026, deadline: '2026-12-01T12:00:00.000Z', graceUntil: '2026-12-15T12:00:00.000Z' },
      milestones: [
        {
          number: 1,
          label: 'M2021',
          text: 'Kortlægning af grænsehindringer – «æøå»',
          dueFrom: 2021,
          dueTo: 2021,
          state: 'in_progress',
          goalNumber: 1,
          interventionCode: 'G.1.a',
          lastComment: 'Første del er klar.',
        },
        {
          number: 2,
          label: 'M23/24',
          text: 'Fælles arbejdsmarkedsportal',
          dueFrom: 2023,
          dueTo: 2024,
          state: 'not_started',
          goalNumber: 6,
          interventionCode: 'K.6.d',
          lastComment: null,
        },
      ],
      answerUrl: `https://handlingsplan.test/r/token-${n}`,
      replyAddress: `reports+key${n}@reports.example.org`,
    },
  };
}

/** What a recipient sees of a message: everything but the Date header and the MIME boundaries. */
const seen = (mail: ParsedMail) => ({
  subject: mail.subject,
  from: mail.from?.text,
  to: (Array.isArray(mail.to) ? mail.to : [mail.to]).map((address) => address?.text),
  replyTo: mail.replyTo?.text,
  messageId: mail.messageId,
  autoSubmitted: mail.headers.get('auto-submitted'),
  suppress: mail.headers.get('x-auto-response-suppress'),
  html: mail.html,
  text: mail.text,
});

describe('composing mail on threads of its own', () => {
  let t: TestApp;
  let threads: ComposeThreads;
  const local = new MessageComposer();

  beforeAll(async () => {
    t = await startTestApp({ env: { MAIL_COMPOSE_THREADS: '2' } });
    threads = t.app.get(ComposeThreads);
  });
  afterAll(() => t.close());

  it('makes the same message on a thread as on the calling thread', async () => {
    for (const language of ['da', 'sv', 'nb', 'fi', 'en'] as const) {
      const request = digestRequest(1, language);
      const [threaded, inProcess] = await Promise.all([threads.compose(request), local.compose(request)]);
      expect(threaded.subject).toBe(inProcess.subject);
      expect(seen(await simpleParser(Buffer.from(threaded.raw)))).toEqual(seen(await simpleParser(Buffer.from(inProcess.raw))));
    }
    const mail = await simpleParser(Buffer.from((await threads.compose(digestRequest(7))).raw));
    expect(mail.subject).toContain('2026');
    expect(mail.text).toContain('Kortlægning af grænsehindringer – «æøå»');
    expect(mail.html).toContain('https://handlingsplan.test/r/token-7');
    expect(mail.messageId).toBe('<digest-7@example.org>');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('spreads messages over its threads and answers each caller with its own message', async () => {
    const requests = Array.from({ length: 40 }, (_, i) => digestRequest(i));
    const pending = requests.map((request) => threads.compose(request));
    expect(threads.load).toHaveLength(2);
    expect(threads.load.every((n) => n > 0)).toBe(true);
    const composed = await Promise.all(pending);
    const ids = await Promise.all(composed.map(async (message) => (await simpleParser(Buffer.from(message.raw))).messageId));
    expect(ids).toEqual(requests.map((request) => request.messageId));
    expect(threads.load).toEqual([0, 0]);
  });

  it('fails the messages of a thread that dies, and carries on with a new one', async () => {
    await threads.compose(digestRequest(1)); // both threads exist from the test before; make sure of the first
    const inFlight = Array.from({ length: 200 }, (_, i) => threads.compose(digestRequest(100 + i)));
    // Killed from outside, as an out-of-memory error or a crash in native code would: through the pool's list of its threads.
    const victim = (threads as unknown as { pool: { threads: { terminate(): Promise<number> }[] } }).pool.threads[0]!;
    await victim.terminate();
    const outcomes = await Promise.allSettled(inFlight);
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    // Only what the dead thread was composing fails: the messages waiting for a thread are composed.
    expect(failed.length).toBeLessThan(inFlight.length / 2);
    for (const outcome of failed) expect(String(outcome.reason)).toMatch(/mail compose thread exited/);
    // The next messages go to a fresh thread in the dead one's place.
    const after = await Promise.all(Array.from({ length: 6 }, (_, i) => threads.compose(digestRequest(200 + i))));
    expect(after.map((message) => message.subject)).toHaveLength(6);
    expect(threads.load).toEqual([0, 0]);
  });

  it('lets messages in flight finish at shutdown, and refuses new ones', async () => {
    const own = new ComposeThreads(t.app.get(AppConfig));
    const inFlight = Array.from({ length: 50 }, (_, i) => own.compose(digestRequest(300 + i)));
    await own.onApplicationShutdown();
    expect(await Promise.all(inFlight)).toHaveLength(50);
    await expect(own.compose(digestRequest(400))).rejects.toThrow('the mail compose threads are shutting down');
  });

  it('reports a template error to the caller instead of losing the message', async () => {
    const broken = { ...digestRequest(3), data: { ...digestRequest(3).data, round: undefined } };
    await expect(threads.compose(broken)).rejects.toThrow();
    // The thread is still there for the next message.
    await expect(threads.compose(digestRequest(4))).resolves.toMatchObject({ subject: expect.any(String) });
  });
});
