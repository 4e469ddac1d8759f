import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { AnnualReportRenderer } from '../../src/annual-report/render/annual-report.renderer.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { UsersService } from '../../src/auth/users.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;
const OUT = new URL('../../var/annual-report/', import.meta.url).pathname;

/** A small but real PDF, as a committee's report would start. */
const PDF = Buffer.concat([
  Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n', 'latin1'),
  Buffer.alloc(3000, 0x20),
  Buffer.from('\ntrailer <</Root 1 0 R>>\n%%EOF\n'),
]);
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

const base64Lines = (content: Buffer) => content.toString('base64').replace(/.{76}/g, '$&\r\n');

let sequence = 0;
/**
 * A reply as Outlook sends one with a file: multipart/mixed around a multipart/alternative body
 * (quoted-printable text and HTML), then each file base64-encoded in 76-character lines.
 */
function replyWithFiles(options: {
  from: string;
  to: string;
  text: string;
  files: { name: string; type: string; content: Buffer }[];
}): Buffer {
  const mixed = `_004_DB9PR07MB${++sequence}EURPRD07PROD_`;
  const alternative = `_000_DB9PR07MB${sequence}EURPRD07PROD_`;
  const html = `<html><body><p>${options.text.split('\n').join('<br>')}</p></body></html>`;
  const lines = [
    `From: ${options.from}`,
    `To: ${options.to}`,
    'Subject: RE: Status report 2024',
    `Message-ID: <DB9PR07MB${sequence}.evidence@DB9PR07MB.eurprd07.prod.outlook.com>`,
    'Date: Mon, 4 Nov 2024 10:00:00 +0000',
    'Accept-Language: en-GB, da-DK',
    'Content-Language: en-GB',
    'Authentication-Results: mx.relay.test; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org',
    `Content-Type: multipart/mixed; boundary="${mixed}"`,
    'MIME-Version: 1.0',
    '',
    `--${mixed}`,
    `Content-Type: multipart/alternative; boundary="${alternative}"`,
    '',
    `--${alternative}`,
    'Content-Type: text/plain; charset="utf-8"',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    options.text,
    '',
    `--${alternative}`,
    'Content-Type: text/html; charset="utf-8"',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    html.replace(/=/g, '=3D'),
    '',
    `--${alternative}--`,
    '',
    ...options.files.flatMap((file) => [
      `--${mixed}`,
      `Content-Type: ${file.type}; name="${file.name}"`,
      `Content-Description: ${file.name}`,
      `Content-Disposition: attachment; filename="${file.name}"; size=${file.content.length};`,
      '\tcreation-date="Mon, 04 Nov 2024 09:58:00 GMT"; modification-date="Mon, 04 Nov 2024 09:58:00 GMT"',
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(file.content),
      '',
    ]),
    `--${mixed}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

/** Polls until `find` finds something (the short pause only paces the loop). */
async function until<T>(find: () => T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('not found in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const linkIn = (mail: ReceivedMail) => /https:\/\/handlingsplan\.test\/r\/([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;

/** Everything an answer could change: equal snapshots mean the answer is unchanged. */
async function answerState(url: string) {
  return {
    milestones: await sql(url, `SELECT id, state::text, progress FROM "Milestone" ORDER BY id`),
    updates: await sql(url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`),
    drafts: await sql(url, `SELECT "requestId", "milestoneId", "draftState", "draftComment" FROM "RequestMilestone" ORDER BY 1, 2`),
    requests: await sql(url, `SELECT id, status::text FROM "ReportRequest" ORDER BY id`),
    files: await sql(url, `SELECT count(*)::int AS n FROM "Attachment"`),
  };
}

describe('evidence kept: files on replies and uploads on the link form', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let http: ReturnType<typeof request>;
  let storage: string;
  let secretariat: string;
  let nordregioReply: string;
  let nordregioLink: string;
  let kvarkenLink: string;
  let kvarkenReply: string;

  const stored = async () => (await readdir(storage, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());

  beforeAll(async () => {
    storage = await mkdtemp(join(tmpdir(), 'handlingsplan-storage-'));
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({
      env: {
        SMTP_URL: smtp.url,
        INBOUND_TRUSTED_RELAYS: 'mx.relay.test',
        STORAGE_DIR: storage,
        UPLOAD_MAX_BYTES: String(1024 * 1024),
      },
      now: '2024-11-01T08:00:00Z',
    });
    // The small plan with a contact for Nordregio, whose milestone is the goal's deliverable ("D:").
    const plan = join(storage, '..', `small-plan-${process.pid}.yaml`);
    await writeFile(plan, (await readFile(SMALL, 'utf8')).replace('contacts: []', 'contacts: ["nordregio@example.org"]'));
    await t.app.get(PlanImportService).importFile(plan);
    await rm(plan);
    http = request(t.app.getHttpServer() as Server);
    const password = 'correct horse battery staple';
    await t.app.get(UsersService).createUser({ email: 'sara@norden.test', password, role: 'viewer', name: 'Sara', language: 'sv' });
    secretariat = `hp_session=${(await t.app.get(AuthService).signIn('sara@norden.test', password, 'test')).token}`;
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const mails = await smtp.waitFor(3);
    const nordregio = mails.find((m) => m.envelopeTo.includes('nordregio@example.org'))!;
    nordregioReply = nordregio.replyTo!.value[0]!.address!;
    nordregioLink = linkIn(nordregio);
    const kvarken = mails.find((m) => m.envelopeTo.includes('kvarken@example.org'))!;
    kvarkenLink = linkIn(kvarken);
    kvarkenReply = kvarken.replyTo!.value[0]!.address!;
    smtp.clear();
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
    await rm(storage, { recursive: true, force: true });
  });

  const deliverableId = async () =>
    (await sql<{ id: number }>(t.db.url, `SELECT id FROM "Milestone" WHERE label = 'D:' AND text = 'Slutrapport'`))[0]!.id;

  it('keeps a PDF attached to a reply that answers a deliverable, on the milestone page, for signed-in users only', async () => {
    const raw = replyWithFiles({
      from: 'Nordregio <nordregio@example.org>',
      to: nordregioReply,
      text: 'Hi,\n\n1: completed - the final report is attached\n\nBest regards\nAnna',
      files: [{ name: 'Final report 2024.pdf', type: 'application/pdf', content: PDF }],
    });
    const outcome = await t.api.post('/api/inbound/email').set('Content-Type', 'message/rfc822').send(raw).expect(202);
    expect(outcome.body).toMatchObject({ status: 'applied', applied: 1, reason: null });

    const id = await deliverableId();
    const page = await http.get(`/milestones/${id}`).set('Cookie', secretariat).expect(200);
    const link = /<a href="(\/attachments\/\d+)" download>Final report 2024\.pdf<\/a>/.exec(page.text);
    expect(link).not.toBeNull();
    expect(page.text).toContain('Svar via e-post'); // by email reply, in the reader's language

    const download = await http
      .get(link![1]!)
      .set('Cookie', secretariat)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(Buffer.compare(download.body as Buffer, PDF)).toBe(0);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-disposition']).toBe('attachment; filename="Final report 2024.pdf"');
    expect(download.headers['x-content-type-options']).toBe('nosniff');

    // Anonymous: sent to sign in and brought back to the file afterwards, without a byte of it.
    const anonymous = await http.get(link![1]!).expect(303);
    expect(anonymous.headers.location).toBe(`/login?next=${encodeURIComponent(link![1]!)}`);
    expect(anonymous.text).not.toContain('%PDF');
    // The file is stored under a generated name, not the sender's.
    expect((await stored()).map((entry) => entry.name)).toEqual([expect.stringMatching(/^[a-f0-9]{32}$/)]);
  });

  it('keeps what it can of a reply with a file too large, a lying name and a bomb-like archive, and says why', async () => {
    // The reply above had a confirmation too: the one looked for below must be this reply's.
    await settled(t, { smtp });
    smtp.clear();
    // A confirmation is one per request, instant and milestones: a reply earlier in this suite answered the same at the same instant.
    t.clock.set('2024-11-01T09:00:00Z');
    const before = (await stored()).length;
    const zipBomb = Buffer.concat([Buffer.from('504b0304', 'hex'), Buffer.alloc(4096)]);
    const raw = replyWithFiles({
      from: 'nordregio@example.org',
      to: nordregioReply,
      text: '1: completed - see the attached files',
      files: [
        { name: 'Photos of the seminar.pdf', type: 'application/pdf', content: Buffer.alloc(20 * 1024 * 1024, 0x25) },
        { name: 'report.pdf', type: 'application/pdf', content: Buffer.from('<html><script>alert(1)</script></html>') },
        { name: 'appendix.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', content: zipBomb },
        { name: 'photo.pdf', type: 'application/pdf', content: PNG },
        { name: '..\\..\\board\u0007 minutes.pdf', type: 'application/pdf', content: PDF },
      ],
    });
    const outcome = await t.api.post('/api/inbound/email').set('Content-Type', 'message/rfc822').send(raw).expect(202);
    // The answer is applied; what could not be kept is noted with the reason, file by file.
    expect(outcome.body.status).toBe('applied');
    expect(outcome.body.reason).toContain('"Photos of the seminar.pdf": larger than 1 MB');
    expect(outcome.body.reason).toContain('"report.pdf": not a file of an allowed kind');
    expect(outcome.body.reason).toContain('"appendix.docx": not a file of an allowed kind');
    expect(outcome.body.reason).toContain('"photo.pdf": named .pdf but its content is PNG');
    expect(outcome.body.reason).toContain('attachment kept as "board minutes.pdf"');
    expect((await stored()).length).toBe(before + 1);
    const page = await http
      .get(`/milestones/${await deliverableId()}`)
      .set('Cookie', secretariat)
      .expect(200);
    expect(page.text).toContain('board minutes.pdf</a>');
    expect(page.text).not.toContain('report.pdf</a>');
    // The confirmation names each file not kept, why, and the limit, in the committee's language.
    const confirmation = await until(() => smtp.received.find((m) => m.envelopeTo.includes('nordregio@example.org')));
    expect(confirmation.text).toContain('These attached files were not kept:');
    expect(confirmation.text).toContain('“Photos of the seminar.pdf” is larger than the limit of 1 MB.');
    expect(confirmation.text).toContain(
      '“report.pdf” is not a file of an allowed kind (PDF, DOCX, XLSX, PNG, JPEG); its content decides the kind, not its name.',
    );
    expect(confirmation.text).toContain('“appendix.docx” is not a file of an allowed kind (PDF, DOCX, XLSX, PNG, JPEG)');
    expect(confirmation.text).toContain('“photo.pdf” is named .PDF, but its content is a PNG file.');
    expect(confirmation.text).not.toContain('board minutes.pdf');
    expect(confirmation.html).toContain('<li>“photo.pdf” is named .PDF, but its content is a PNG file.</li>');
  });

  it('names a refused file in a Swedish committee’s confirmation in Swedish, with the limit', async () => {
    await settled(t, { smtp });
    smtp.clear();
    const raw = replyWithFiles({
      from: 'kvarken@example.org',
      to: kvarkenReply,
      text: '1: klar - rapporten bifogas',
      files: [{ name: 'stor rapport.pdf', type: 'application/pdf', content: Buffer.concat([PDF, Buffer.alloc(2 * 1024 * 1024)]) }],
    });
    const outcome = await t.api.post('/api/inbound/email').set('Content-Type', 'message/rfc822').send(raw).expect(202);
    expect(outcome.body).toMatchObject({ status: 'applied', applied: 1 });
    const confirmation = await until(() => smtp.received.find((m) => m.envelopeTo.includes('kvarken@example.org')));
    expect(confirmation.text).toContain('De här bifogade filerna sparades inte:');
    expect(confirmation.text).toContain('”stor rapport.pdf” är större än gränsen på 1 MB.');
    expect(confirmation.text).toContain('Skicka dem gärna igen som filer av tillåten typ och storlek');
  });

  it('shows the files of a reply that waits in review, and links them to the milestone once accepted', async () => {
    const raw = replyWithFiles({
      from: 'someone.else@example.org',
      to: nordregioReply,
      text: '1: completed - report attached',
      files: [{ name: 'Forwarded report.pdf', type: 'application/pdf', content: PDF }],
    });
    const outcome = await t.api.post('/api/inbound/email').set('Content-Type', 'message/rfc822').send(raw).expect(202);
    expect(outcome.body.status).toBe('in_review');
    const review = await http.get('/review').set('Cookie', secretariat).expect(200);
    expect(review.text).toMatch(/<a href="\/attachments\/\d+" download>Forwarded report\.pdf<\/a>/);
    const milestone = `/milestones/${await deliverableId()}`;
    expect((await http.get(milestone).set('Cookie', secretariat)).text).not.toContain('Forwarded report.pdf');
    await t.api.post(`/api/inbound/${outcome.body.inboundId}/accept`).expect((res) => expect(res.status).toBeLessThan(300));
    expect((await http.get(milestone).set('Cookie', secretariat)).text).toContain('Forwarded report.pdf</a>');
  });

  /** GET the form as a browser does, keeping its CSRF cookie and hidden value. */
  async function openForm(token: string) {
    const response = await http.get(`/r/${token}`).expect(200);
    const cookie = (response.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('hp_answer_csrf='))!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(response.text)![1]!;
    return { html: response.text, cookie, csrf };
  }

  it('keeps a file uploaded on the link form with the answer, for the committee’s own link', async () => {
    const { cookie, csrf } = await openForm(kvarkenLink);
    const form = (await openForm(kvarkenLink)).html;
    expect(form).toContain('enctype="multipart/form-data"');
    expect(form).toContain('Bifoga filer (valfritt; PDF, DOCX, XLSX, PNG, JPEG, högst 1 MB per fil)');
    await http
      .post(`/r/${kvarkenLink}`)
      .set('Cookie', cookie)
      .field('csrf', csrf)
      .field('action', 'draft')
      .field('state_1', 'completed')
      .field('comment_1', 'Kartläggningen är klar, se rapporten')
      .attach('files_1', PDF, { filename: 'Kartläggning 2024.pdf', contentType: 'application/octet-stream' })
      .expect(303)
      .expect('Location', `/r/${kvarkenLink}?saved=draft`);
    const page = (await openForm(kvarkenLink)).html;
    const link = new RegExp(`<a href="(${kvarkenLink}/files/\\d+)" download>Kartläggning 2024\\.pdf</a>`).exec(page);
    expect(link).not.toBeNull();
    const own = await http.get(`/r/${link![1]!}`).expect(200);
    expect(own.headers['content-type']).toBe('application/pdf');
    expect(own.headers['content-disposition']).toContain('attachment;');
    expect(Buffer.compare(own.body as Buffer, PDF)).toBe(0);
    // Another committee's link does not open it.
    const id = /files\/(\d+)$/.exec(link![1]!)![1]!;
    const other = await http.get(`/r/${nordregioLink}/files/${id}`).expect(404);
    expect(other.text).not.toContain('%PDF');
    const [kept] = await sql<{ contentType: string; source: string; milestones: number }>(
      t.db.url,
      `SELECT a."contentType", a.source::text, (SELECT count(*)::int FROM "AttachmentMilestone" am WHERE am."attachmentId" = a.id) AS milestones
         FROM "Attachment" a WHERE a."fileName" = 'Kartläggning 2024.pdf'`,
    );
    expect(kept).toEqual({ contentType: 'application/pdf', source: 'link_form', milestones: 1 });
  });

  it.each([
    ['too large', 'stor.pdf', Buffer.concat([PDF, Buffer.alloc(1024 * 1024)]), 413, '”stor.pdf” är större än 1 MB och sparades inte.'],
    ['with a lying extension', 'rapport.pdf', PNG, 400, '”rapport.pdf” heter .PDF, men innehållet är en PNG-fil.'],
    [
      'of a kind not allowed',
      'rapport.html',
      Buffer.from('<html><script>alert(1)</script></html>'),
      400,
      '”rapport.html” är inte en fil av en tillåten typ',
    ],
    [
      'with a path in its name',
      { filepath: '../../etc/rapport.pdf' },
      PDF,
      400,
      '”rapport.pdf”: filnamnet innehåller en sökväg eller osynliga styrtecken.',
    ],
  ])('refuses a file %s in the committee’s language, and the answer stays as it was', async (_what, name, content, status, message) => {
    const before = await answerState(t.db.url);
    const files = (await stored()).length;
    const { cookie, csrf } = await openForm(kvarkenLink);
    const response = await http
      .post(`/r/${kvarkenLink}`)
      .set('Cookie', cookie)
      .field('csrf', csrf)
      .field('action', 'draft')
      .field('state_2', 'delayed')
      .field('comment_2', 'Seminariet flyttas till våren')
      // A browser sends the name alone; a crafted client can send a path (form-data's filepath).
      .attach('files_2', content, {
        ...(typeof name === 'string' ? { filename: name } : name),
        contentType: 'application/pdf',
      })
      .expect(status);
    expect(response.text).toContain('<html lang="sv">');
    expect(response.text).toContain(message);
    expect(response.text).toContain('Ingenting sparades, inte heller de valda filerna');
    // What was typed is still in the form, and nothing was recorded or stored.
    expect(response.text).toContain('Seminariet flyttas till våren');
    expect(await answerState(t.db.url)).toEqual(before);
    expect((await stored()).length).toBe(files);
  });

  it('records no file when the answers it came with are refused, and removes it from the store', async () => {
    const before = await answerState(t.db.url);
    const files = (await stored()).length;
    const { cookie, csrf } = await openForm(kvarkenLink);
    const response = await http
      .post(`/r/${kvarkenLink}`)
      .set('Cookie', cookie)
      .field('csrf', csrf)
      .field('action', 'submit')
      .field('state_2', 'delayed') // no reason given: refused, and the final report lacks the others
      .attach('files_2', PDF, { filename: 'Seminarium.pdf' })
      .expect(400);
    expect(response.text).toContain('Ingenting sparades, inte heller de valda filerna');
    expect(await answerState(t.db.url)).toEqual(before);
    expect((await stored()).length).toBe(files);
  });

  it('lists the kept files per milestone in the annual report’s annex', async () => {
    const created = await t.api.post('/api/annual-reports').send({ year: 2024, language: 'sv' }).expect(202);
    let report: { status: string };
    do report = (await t.api.get(`/api/annual-reports/${created.body.id}`).expect(200)).body;
    while (report.status !== 'ready' && report.status !== 'failed');
    expect(report.status).toBe('ready');
    const file = async (format: string) =>
      (
        await t.api
          .get(`/api/annual-reports/${created.body.id}/${format}`)
          .buffer(true)
          .parse((res, done) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => done(null, Buffer.concat(chunks)));
          })
          .expect(200)
      ).body as Buffer;
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await file('xlsx')) as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('Filer 2024')!;
    expect(sheet).toBeDefined();
    const rows = sheet.getSheetValues().slice(2) as unknown[][];
    const listed = rows.map((row) => [row[4], row[6], row[7], row[8]]);
    expect(listed).toContainEqual(['D:', 'Final report 2024.pdf', Math.round(PDF.length / 1024), '2024-11-01']);
    expect(listed).toContainEqual(['M2021', 'Kartläggning 2024.pdf', Math.round(PDF.length / 1024), '2024-11-01']);
    expect(sheet.getRow(1).values).toContain('Fil');
    // Who sent each file: the organisation whose link or reply it came with.
    const organisation = (sheet.getRow(1).values as string[]).indexOf('Organisation');
    expect(rows.map((row) => [row[6], row[organisation]])).toEqual(
      expect.arrayContaining([
        ['Final report 2024.pdf', 'Nordregio'],
        ['Kartläggning 2024.pdf', 'Kvarkenrådet'],
      ]),
    );

    // Annex B of the printed report: every file received in the year, per goal and milestone, with sender and date.
    const kept = await sql<{ fileName: string; createdAt: Date; label: string | null; text: string }>(
      t.db.url,
      `SELECT a."fileName", a."createdAt", m.label, m.text FROM "Attachment" a
         JOIN "AttachmentMilestone" am ON am."attachmentId" = a.id JOIN "Milestone" m ON m.id = am."milestoneId" ORDER BY a.id`,
    );
    expect(kept.map((k) => k.fileName)).toEqual(expect.arrayContaining(['Final report 2024.pdf', 'Kartläggning 2024.pdf']));
    const labels = t.app.get(AnnualReportRenderer).labels;
    const sender: Record<string, string> = {
      'Final report 2024.pdf': 'Nordregio',
      'Kartläggning 2024.pdf': 'Kvarkenrådet',
      // A name cleaned of its path, from Nordregio's contact.
      'board minutes.pdf': 'Nordregio',
      // Sent by someone who is not a contact, in reply to Nordregio's request, and accepted in review.
      'Forwarded report.pdf': 'Nordregio',
    };
    const expected = kept.map((k) => [
      k.label ? `${k.label} ${k.text}` : k.text,
      k.fileName,
      sender[k.fileName],
      labels.date('sv', k.createdAt.toISOString()),
    ]);
    const html = (await file('html')).toString('utf8');
    // Goal 6 of the small plan has no criteria: no empty heading or table stands for them; goal 1 has both.
    const goalSection = (n: number) => /<article class="goal"[\s\S]*?<\/article>/.exec(html.slice(html.indexOf(`id="goal-${n}"`) - 30))![0];
    expect(goalSection(1)).toContain('<table class="assessment">');
    expect(goalSection(6)).not.toContain('<ul class="criteria">');
    expect(goalSection(6)).not.toContain('<table class="assessment">');
    const annex = html.slice(html.indexOf('<section id="annex-b"'));
    expect(annex).toContain('<h2>Bilaga B: Underlag mottaget 2024</h2>');
    const printed = [
      ...annex.matchAll(
        /<tr><td class="wrap">([^<]*)<\/td><td class="wrap">([^<]*)<\/td><td class="owner">([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g,
      ),
    ].map((m) => m.slice(1));
    expect(printed).toEqual(expected);
    const docx = await JSZip.loadAsync(await file('docx'));
    const words = (await docx.file('word/document.xml')!.async('string')).replace(/<[^>]+>/g, '');
    expect(words).toContain('Bilaga B: Underlag mottaget 2024');
    for (const [milestone, name, organisation, date] of expected) expect(words).toContain(`${milestone}${name}${organisation}${date}`);
    // Kept beside the annual report spec's, to be looked at.
    const pdf = join(OUT, 'report-2024-evidence.pdf');
    await mkdir(OUT, { recursive: true });
    await writeFile(pdf, await file('pdf'));
    const { stdout } = await promisify(execFile)('pdftotext', ['-enc', 'UTF-8', pdf, '-']);
    expect(stdout).toContain('Bilaga A: Milstolpar per mål');
    expect(stdout).toContain('Bilaga B: Underlag mottaget 2024');
    expect(stdout).toContain('Kartläggning 2024.pdf');
  });
});
