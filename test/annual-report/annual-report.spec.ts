import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import type { AnnualReportContent } from '../../src/annual-report/annual-report.content.js';
import { AnnualReportService } from '../../src/annual-report/annual-report.service.js';
import { AnnualReportRenderer } from '../../src/annual-report/render/annual-report.renderer.js';
import { renderDocx } from '../../src/annual-report/render/docx-report.js';
import { HtmlReport } from '../../src/annual-report/render/html-report.js';
import { reportView } from '../../src/annual-report/render/report-view.js';
import type { Figures } from '../../src/progress/attainment.formulas.js';
import { SignedLinks } from '../../src/common/signed-links.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { RoundScheduler } from '../../src/scheduler/round-scheduler.js';
import { startTestApp, type Api, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { settled, until } from '../support/settled.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

/**
 * The annual status report of the real plan 2021-24, made through the API by the real job, with a
 * reporting round for 2023 answered on time, late, partly and not at all. Every figure is checked
 * against the attainment API, the overdue list against the overdue API, and each format is opened
 * the way its reader would: the HTML by a strict HTML parser, the PDF by poppler, the DOCX by
 * unzipping it, the XLSX by exceljs.
 */
const SEED = new URL('../../seeds/nordic-regional-2021-24.yaml', import.meta.url).pathname;
const OUT = new URL('../../var/annual-report/', import.meta.url).pathname;
const run = promisify(execFile);

const SCRIPT = `<script>alert("x")</script><img src=x onerror=alert(1)> & "citat" 'x'`;
// Just under the 5,000 characters an answer may have.
const LONG = `${'Lang kommentar om fremdriften i grænseregionen, med mange detaljer. '.repeat(65)}Overlangtordudenmellemrumsomskalbrydesoveralt${'x'.repeat(300)} SLUTMARKØR-ÆØÅ`;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function download(
  api: Api,
  url: string,
): Promise<{ status: number; type: string | undefined; disposition: string | undefined; body: Buffer }> {
  const response = await api
    .get(url)
    .buffer(true)
    .parse((res, callback) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => callback(null, Buffer.concat(chunks)));
    });
  return {
    status: response.status,
    type: response.headers['content-type'],
    disposition: response.headers['content-disposition'],
    body: response.body as Buffer,
  };
}

async function waitForReport(api: Api, id: number, ms = 60_000): Promise<Json> {
  const until = Date.now() + ms;
  for (;;) {
    const report = (await api.get(`/api/annual-reports/${id}`).expect(200)).body as Json;
    // The record that is polled carries no content: that is a resource of its own, once taken.
    expect(report.content).toBe(report.generatedAt === null ? null : `/api/annual-reports/${id}/content`);
    if (report.status === 'failed') return report;
    if (report.status === 'ready')
      return {
        ...report,
        content: (
          await api
            .get(report.content as string)
            .expect(200)
            .expect('Content-Type', /application\/json/)
        ).body,
      };
    if (Date.now() > until) throw new Error(`report ${id} still ${report.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The text a reader sees: every text node outside <style>, whitespace collapsed. */
function textOf(html: string): string {
  const parts: string[] = [];
  const walk = (node: DefaultTreeAdapterMap['node']) => {
    if (node.nodeName === '#text') parts.push((node as DefaultTreeAdapterMap['textNode']).value);
    if (node.nodeName === 'style' || node.nodeName === 'title') return;
    if ('childNodes' in node) for (const child of node.childNodes) walk(child);
  };
  walk(parse(html));
  return squash(parts.join(' '));
}

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

/** Every element under a node (itself included), in document order. */
function descendants(node: Node): Element[] {
  const found: Element[] = [];
  const walk = (at: Node) => {
    if (!at.nodeName.startsWith('#')) found.push(at as Element);
    if ('childNodes' in at) for (const child of at.childNodes) walk(child);
  };
  walk(node);
  return found;
}

const attr = (element: Element, name: string) => element.attrs.find((a) => a.name === name)?.value ?? '';
const hasClass = (element: Element, name: string) => attr(element, 'class').split(/\s+/).includes(name);

function byId(html: string, id: string): Element {
  const found = descendants(parse(html)).find((element) => attr(element, 'id') === id);
  if (!found) throw new Error(`no element #${id}`);
  return found;
}

/** The text a reader sees of one element, whitespace collapsed. */
function textIn(node: Node): string {
  const parts: string[] = [];
  const walk = (at: Node) => {
    if (at.nodeName === '#text') parts.push((at as DefaultTreeAdapterMap['textNode']).value);
    if ('childNodes' in at) for (const child of at.childNodes) walk(child);
  };
  walk(node);
  return squash(parts.join(' '));
}

/** The body rows of the milestone tables under a node, each as its cells' texts (a long comment's own row left out). */
const milestoneRows = (node: Node): string[][] =>
  descendants(node)
    .filter((element) => element.nodeName === 'table' && hasClass(element, 'milestones'))
    .flatMap((table) => descendants(table).filter((element) => element.nodeName === 'tr' && !hasClass(element, 'follow')))
    .filter((row) => row.childNodes.some((cell) => cell.nodeName === 'td'))
    .map((row) => row.childNodes.filter((cell) => cell.nodeName === 'td').map(textIn));

/** Every milestone of the snapshot with its goal's number, in the plan's order. */
const milestonesOf = (content: AnnualReportContent) =>
  content.priorities.flatMap((priority) =>
    priority.goals.flatMap((goal) =>
      [...goal.contributions, ...goal.interventions.flatMap((intervention) => intervention.contributions)].flatMap(
        (contribution) => contribution.milestones,
      ),
    ),
  );

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function elementsOf(html: string): Set<string> {
  const names = new Set<string>();
  const walk = (node: DefaultTreeAdapterMap['node']) => {
    if (!node.nodeName.startsWith('#')) names.add(node.nodeName);
    if ('childNodes' in node) for (const child of node.childNodes) walk(child);
  };
  walk(parse(html));
  return names;
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
const flat = (text: string) => text.replace(/\s+/g, '');

const decodeXml = (text: string) =>
  text.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-f]+);/gi, (_, entity: string) =>
    entity === 'lt'
      ? '<'
      : entity === 'gt'
        ? '>'
        : entity === 'quot'
          ? '"'
          : entity === 'apos'
            ? "'"
            : entity === 'amp'
              ? '&'
              : String.fromCodePoint(entity[1] === 'x' ? parseInt(entity.slice(2), 16) : Number(entity.slice(1))),
  );

/** The text of a DOCX: its paragraphs, each the concatenation of its runs. */
async function docxText(buffer: Buffer): Promise<{ text: string; xml: string; core: string }> {
  const zip = await JSZip.loadAsync(buffer);
  const xml = await zip.file('word/document.xml')!.async('string');
  const core = await zip.file('docProps/core.xml')!.async('string');
  const paragraphs = xml
    .split('</w:p>')
    .map((p) => decodeXml([...p.matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]).join('')));
  return { text: squash(paragraphs.join(' ')), xml, core };
}

async function pdfText(path: string): Promise<{ text: string; pages: number }> {
  const { stdout } = await run('pdftotext', ['-enc', 'UTF-8', path, '-'], { maxBuffer: 64 * 1024 * 1024 });
  const info = await run('pdfinfo', [path]);
  return { text: squash(stdout), pages: Number(/Pages:\s+(\d+)/.exec(info.stdout)![1]) };
}

/** The overdue list by a year's figures of record, every page. */
async function allOverdue(api: Api, year: number): Promise<Json[]> {
  const items: Json[] = [];
  for (let page = 1; ; page++) {
    const body = (await api.get(`/api/milestones/overdue?year=${year}&page=${page}&pageSize=7`).expect(200)).body as Json;
    items.push(...body.items);
    if (items.length >= body.total || body.items.length === 0) return items;
  }
}

describe('the annual report of the real plan', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let api: Api;
  let roundId: number;
  let report: Json;
  let html: string;
  let pdf: Buffer;
  let docx: Buffer;
  let xlsx: Buffer;
  const asked: { onTime: string; late: string; partial: string } = { onTime: '', late: '', partial: '' };

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, REPORT_RECIPIENTS: 'board@norden.test, sek@norden.test' },
      now: '2023-11-01T08:00:00Z',
    });
    api = t.api;
    await t.app.get(PlanImportService).importFile(SEED);

    roundId = (await api.post('/api/rounds').send({ year: 2023, deadline: '2023-12-01' }).expect(201)).body.id;
    const requests = await sql<{ nonce: string; name: string }>(
      t.db.url,
      `SELECT r."tokenNonce" AS nonce, o.name FROM "ReportRequest" r JOIN "Organisation" o ON o.id = r."organisationId" WHERE r."roundId" = $1 ORDER BY o.name`,
      [roundId],
    );
    const links = t.app.get(SignedLinks);
    const views = await Promise.all(
      requests.map(async (r) => ({
        name: r.name,
        token: links.token(r.nonce),
        view: (await api.get(`/api/answers/${links.token(r.nonce)}`).expect(200)).body as Json,
      })),
    );
    const withSeveral = views.filter((v) => v.view.milestones.filter((m: Json) => !m.optional).length >= 3);
    const [onTime, late, partial] = withSeveral;
    Object.assign(asked, { onTime: onTime!.name, late: late!.name, partial: partial!.name });
    const required = (v: (typeof views)[number]) => v.view.milestones.filter((m: Json) => !m.optional) as Json[];

    // On time, everything, with a comment that is markup and one that is very long.
    const states = ['completed', 'delayed', 'in_progress', 'at_risk', 'cancelled', 'completed'];
    t.clock.set('2023-11-20T10:00:00Z');
    await api
      .post(`/api/answers/${onTime!.token}`)
      .send({
        final: true,
        answers: required(onTime!).map((m, i) => ({
          number: m.number,
          state: states[i % states.length],
          comment: i === 0 ? SCRIPT : i === 1 ? LONG : `Status ${i + 1} fra ${onTime!.name}.\nAnden linje.`,
        })),
      })
      .expect(200);
    // Partly: one milestone only.
    t.clock.set('2023-11-25T10:00:00Z');
    await api
      .post(`/api/answers/${partial!.token}`)
      .send({ answers: [{ number: required(partial!)[0]!.number, state: 'in_progress', comment: 'Halvvejs.' }] })
      .expect(200);
    // Late, after the deadline and inside the grace window.
    t.clock.set('2023-12-05T10:00:00Z');
    await api
      .post(`/api/answers/${late!.token}`)
      .send({
        final: true,
        answers: required(late!).map((m) => ({ number: m.number, state: 'completed', comment: `Klart, lidt sent (${late!.name}).` })),
      })
      .expect(200);
    t.clock.set('2023-12-16T08:00:00Z');
    await api.post(`/api/rounds/${roundId}/close`).expect(200);

    // Comments the year's narrative must leave out (2022, an imported note, 00:30 on 1 January 2024 in Copenhagen)
    // and one it must keep (00:30 on 1 January 2023 in Copenhagen, still 2022 in UTC).
    // On a milestone nobody answered in the round, so they do not hide the answers' comments as "last comment".
    const [milestone] = await sql<{ id: number }>(
      t.db.url,
      `SELECT id FROM "Milestone" m WHERE NOT EXISTS (SELECT 1 FROM "MilestoneUpdate" u WHERE u."milestoneId" = m.id AND u.channel <> 'import') ORDER BY id DESC LIMIT 1`,
    );
    for (const [comment, channel, at] of [
      ['KOMMENTAR-2022', 'link_form', '2022-11-20T10:00:00Z'],
      ['IMPORT-NOTE', 'import', '2023-06-01T10:00:00Z'],
      ['GRÆNSE-UD', 'email_reply', '2023-12-31T23:30:00Z'],
      ['GRÆNSE-IND', 'email_reply', '2022-12-31T23:30:00Z'],
    ] as const) {
      await sql(
        t.db.url,
        // An answer counts for the round of the year it came in, where the secretariat sits.
        `INSERT INTO "MilestoneUpdate" ("milestoneId", "fromState", "toState", progress, comment, channel, actor, "createdAt", "reportingYear")
         VALUES ($1, 'not_started', 'not_started', 0, $2, $3::"UpdateChannel", 'test', $4,
                 CASE WHEN $3 <> 'import' THEN EXTRACT(YEAR FROM $4::timestamptz AT TIME ZONE 'Europe/Copenhagen')::int END)`,
        [milestone!.id, comment, channel, at],
      );
    }
    // The round's mail all delivered, so that only the report's mail arrives from here on.
    await smtp.waitFor(1);
    await settled(t, { smtp });
    smtp.clear();

    t.clock.set('2024-01-10T09:00:00Z');
    const created = (await api.post('/api/annual-reports').send({ year: 2023 }).expect(202)).body as Json;
    expect(created).toMatchObject({
      year: 2023,
      language: 'da',
      status: 'queued',
      preliminary: false,
      trigger: 'requested',
      requestedBy: 'tests',
    });
    report = await waitForReport(api, created.id);
    expect(report.error).toBeNull();
    expect(report.status).toBe('ready');

    const files = Object.fromEntries(
      await Promise.all(
        (['html', 'pdf', 'docx', 'xlsx'] as const).map(
          async (format) => [format, await download(api, `/api/annual-reports/${report.id}/${format}`)] as const,
        ),
      ),
    );
    expect(files.html!.type).toBe('text/html; charset=utf-8');
    expect(files.html!.disposition).toMatch(/^inline/);
    expect(files.pdf!.type).toBe('application/pdf');
    expect(files.docx!.type).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(files.xlsx!.type).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    for (const format of ['pdf', 'docx', 'xlsx'] as const)
      expect(files[format]!.disposition).toMatch(new RegExp(`^attachment; filename="arsrapport-2023-[a-z0-9-]+\\.${format}"$`));
    html = files.html!.body.toString('utf8');
    pdf = files.pdf!.body;
    docx = files.docx!.body;
    xlsx = files.xlsx!.body;
    mkdirSync(OUT, { recursive: true });
    writeFileSync(`${OUT}report-2023.pdf`, pdf);
    writeFileSync(`${OUT}report-2023.html`, html);
    writeFileSync(`${OUT}report-2023.docx`, docx);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('carries every figure of the attainment API as of 31 December, in the snapshot and on the page', async () => {
    const attainment = (await api.get('/api/attainment?year=2023').expect(200)).body as Json;
    const content = report.content as Json;
    expect(content.asOf).toBe('2023-12-31');
    expect(content.summary.figures).toEqual(attainment.figures);
    expect(content.summary.overdue).toBe(attainment.figures.overdue.count);
    expect(content.summary.states.map((s: Json) => s.count)).toEqual(
      ['not_started', 'in_progress', 'at_risk', 'delayed', 'completed', 'cancelled'].map((s) => attainment.figures.counts[s]),
    );
    expect(attainment.figures.counts.completed).toBeGreaterThan(0); // the answers counted

    const labels = t.app.get(AnnualReportRenderer).labels;
    const text = textOf(html);
    const onPage = (figures: Json, where: string) => {
      // The formulas in the report's language, with the API's numbers.
      for (const name of ['counts', 'completion', 'overdue', 'atRisk', 'averageProgress'] as const) {
        const formula = labels.formula('da', name, figures as Figures);
        expect({ where, found: text.includes(squash(formula)) }).toEqual({ where, found: true });
      }
      expect(text).not.toContain(squash(figures.completion.formula));
      if (figures.budgetWeighted) expect(text).toContain(squash(labels.formula('da', 'budgetWeighted', figures as Figures)));
      expect(text).toContain(squash(labels.percent('da', figures.completion.value)));
    };
    onPage(attainment.figures, 'plan');
    expect(content.priorities).toHaveLength(attainment.priorities.length);
    attainment.priorities.forEach((priority: Json, p: number) => {
      const mine = content.priorities[p];
      expect(mine.name).toBe(priority.name);
      expect(mine.figures).toEqual(priority.figures);
      onPage(priority.figures, priority.name);
      priority.goals.forEach((goal: Json, g: number) => {
        const own = mine.goals[g];
        expect(own.number).toBe(goal.number);
        expect(own.figures).toEqual(goal.figures);
        onPage(goal.figures, `goal ${goal.number}`);
        expect(text).toContain(squash(`Mål ${goal.number}: ${goal.title}`));
        goal.interventions.forEach((intervention: Json, i: number) => {
          expect(own.interventions[i].code).toBe(intervention.code);
          expect(own.interventions[i].figures).toEqual(intervention.figures);
          expect(own.interventions[i].contributions.map((c: Json) => c.figures)).toEqual(
            intervention.contributions.map((c: Json) => c.figures),
          );
        });
        expect(own.contributions.map((c: Json) => c.figures)).toEqual(goal.contributions.map((c: Json) => c.figures));
      });
    });

    // Målopnåelse and the budget per partner, as the plan gives them.
    const goals = (await api.get('/api/goals').expect(200)).body as Json[];
    for (const goal of goals) {
      const own = content.priorities.flatMap((p: Json) => p.goals).find((g: Json) => g.number === goal.number);
      expect(own.attainmentCriteria).toEqual(goal.attainmentCriteria);
      expect(own.budget).toEqual(goal.budget);
      for (const criterion of goal.attainmentCriteria) expect(text).toContain(squash(criterion));
      for (const line of goal.budget?.lines ?? []) expect(text).toContain(`${line.partner} ${labels.number('da', line.amount)}`);
    }
  });

  it('lists exactly the overdue milestones of the overdue API, every page, in its order', async () => {
    const overdue = await allOverdue(api, 2023);
    expect(overdue.length).toBeGreaterThan(7); // more than one page
    const content = report.content as Json;
    expect(content.overdue.map((m: Json) => m.key)).toEqual(overdue.map((m) => m.key));
    content.overdue.forEach((mine: Json, index: number) => {
      const theirs = overdue[index]!;
      expect(mine).toMatchObject({
        owner: theirs.owner.name,
        goal: theirs.goal,
        intervention: theirs.intervention,
        label: theirs.label,
        text: theirs.text,
        dueTo: theirs.dueTo,
        state: theirs.state,
        yearsLate: theirs.yearsLate,
        lastUpdate:
          theirs.lastUpdate === null
            ? null
            : { comment: theirs.lastUpdate.comment, state: theirs.lastUpdate.state, at: theirs.lastUpdate.createdAt },
      });
    });
    const text = textOf(html);
    for (const item of overdue) expect(text).toContain(squash(item.text));
  });

  it('reports the 2023 round: the rate, and who answered on time, late, or not at all', async () => {
    const round = (await api.get(`/api/rounds/${roundId}`).expect(200)).body as Json;
    const content = report.content as Json;
    expect(content.summary.reporting).toMatchObject({
      expected: round.totals.expected,
      answeredOnTime: round.totals.answered - round.totals.answeredLate,
      answeredLate: round.totals.answeredLate,
      missing: round.totals.missing,
      round: { id: roundId, state: 'closed' },
    });
    expect(content.summary.reporting.rate).toBeCloseTo(round.totals.answered / round.totals.expected, 10);
    expect(content.responses.onTime.map((r: Json) => r.organisation)).toEqual([asked.onTime]);
    expect(content.responses.late.map((r: Json) => r.organisation)).toEqual([asked.late]);
    expect(content.responses.missing).toContainEqual({ organisation: asked.partial, reason: 'partial' });
    const names = round.requests.map((r: Json) => r.organisation.name).sort();
    expect(
      [...content.responses.onTime, ...content.responses.late, ...content.responses.missing].map((r: Json) => r.organisation).sort(),
    ).toEqual(names);
    const text = textOf(html);
    for (const label of ['Svarede til tiden', 'Svarede for sent', 'Svarede ikke', 'Delvist svar']) expect(text).toContain(label);
  });

  it('tells the year’s story from the comments written that year, and only those', () => {
    const comments = (report.content as Json).comments as Json[];
    const texts = comments.map((c) => c.comment);
    expect(texts).toContain(SCRIPT);
    expect(texts).toContain(LONG);
    expect(texts).toContain('GRÆNSE-IND');
    expect(texts).toContain('Halvvejs.');
    for (const absent of ['KOMMENTAR-2022', 'IMPORT-NOTE', 'GRÆNSE-UD']) expect(texts).not.toContain(absent);
    const times = comments.map((c) => c.at);
    expect(times).toEqual([...times].sort());
    // Imported notes are never anyone's last comment either.
    expect(html).not.toContain('IMPORT-NOTE');
  });

  it('is HTML a strict parser accepts, with markup from comments escaped and long comments in full', () => {
    const errors: { code: string; startLine?: number; startCol?: number }[] = [];
    parse(html, { onParseError: (error) => errors.push(error) });
    expect(errors).toEqual([]);
    expect(html).toMatch(/^<!DOCTYPE html>\s*<html lang="da">/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    const elements = elementsOf(html);
    expect(elements.has('script')).toBe(false);
    expect(elements.has('img')).toBe(false);
    expect(elements.has('svg')).toBe(true);
    expect(html).not.toMatch(/<link|@import|url\(|src=/i); // self-contained
    const text = textOf(html);
    expect(text).toContain(squash(SCRIPT));
    expect(text).toContain(squash(LONG)); // in full, in the comments section and as a last comment
    expect(text.split(squash(LONG)).length - 1).toBeGreaterThanOrEqual(2);
    expect(html).toContain('overflow-wrap: anywhere');
    // Two charts, drawn as SVG, with their titles.
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(text).toContain('Gennemførelsesgrad pr. mål');
  });

  it('is a PDF with the same text, on A4 pages', async () => {
    const { text, pages } = await pdfText(`${OUT}report-2023.pdf`);
    expect(pages).toBeGreaterThanOrEqual(10);
    const info = await run('pdfinfo', [`${OUT}report-2023.pdf`]);
    expect(info.stdout).toMatch(/Page size:\s+59\d(\.\d+)? x 84\d(\.\d+)? pts \(A4\)/);
    expect(text).toContain('Årsrapport 2023');
    const content = report.content as Json;
    for (const goal of content.priorities.flatMap((p: Json) => p.goals))
      expect(text).toContain(squash(`Mål ${goal.number}: ${goal.title}`));
    expect(text).toContain('SLUTMARKØR-ÆØÅ');
    expect(text).toContain('<script>alert("x")</script>');
    expect(text).toContain(`Side 1 / ${pages}`);
    expect(text).not.toContain('Foreløbig');
    // The annexes come last, each with its heading, and each is a bookmark of the tagged PDF.
    const annexA = text.lastIndexOf('Bilag A: Milepæle pr. mål');
    const annexB = text.lastIndexOf('Bilag B: Dokumentation modtaget i 2023');
    expect(text.lastIndexOf('Rapporteringsrunden 2023')).toBeLessThan(annexA);
    expect(annexA).toBeLessThan(annexB);
    const { stdout: outline } = await run('pdftohtml', ['-xml', '-i', '-q', '-stdout', `${OUT}report-2023.pdf`], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const bookmarks = [...outline.matchAll(/<item page="\d+">([^<]*)<\/item>/g)].map((m) => decodeXml(m[1]!));
    expect(bookmarks).toContain('Bilag A: Milepæle pr. mål');
    expect(bookmarks).toContain('Bilag B: Dokumentation modtaget i 2023');
    // A long heading's bookmark is wrapped where the page wraps it: compared without its spaces.
    const flatBookmarks = bookmarks.map(flat);
    for (const goal of content.priorities.flatMap((p: Json) => p.goals))
      expect(flatBookmarks).toContain(flat(`Mål ${goal.number}: ${goal.title}`));
  });

  it('gives each goal its half page: criteria, figures, what is at risk or delayed and why, and a pointer to Annex A', async () => {
    const content = report.content as AnnualReportContent;
    const goals = content.priorities.flatMap((priority) => priority.goals);
    const { text: docText } = await docxText(docx);
    for (const goal of goals) {
      const section = byId(html, `goal-${goal.number}`);
      const text = textIn(section);
      expect(text).toContain(`Milepæle: se bilag A, mål ${goal.number}.`);
      expect(docText).toContain(`Milepæle: se bilag A, mål ${goal.number}.`);
      expect(descendants(section).some((element) => attr(element, 'href') === `#annex-a-goal-${goal.number}`)).toBe(true);
      expect(text).toContain('I risiko eller forsinket – og hvorfor');
      // No milestone table in the goal's section any more: they are in Annex A.
      expect(milestoneRows(section)).toEqual([]);
      const troubled = [...goal.contributions, ...goal.interventions.flatMap((i) => i.contributions)]
        .flatMap((contribution) => contribution.milestones)
        .filter((m) => m.state === 'at_risk' || m.state === 'delayed');
      for (const milestone of troubled.slice(0, 8)) expect(text).toContain(squash(milestone.text));
      if (troubled.length === 0) expect(text).toContain('Ingen af målets milepæle er i risiko eller forsinket.');
    }
    // The committee that answered on time reported its second milestone delayed, with the long comment as the reason:
    // the goal's list gives the start of it, cut at a word; the year's comments and Annex A give it whole.
    const delayed = milestonesOf(content).find((m) => m.state === 'delayed' && m.lastComment?.text === LONG)!;
    expect(delayed).toBeDefined();
    const own = textIn(byId(html, `goal-${delayed.goal}`));
    expect(flat(own)).toContain(flat(`${delayed.label ?? ''} ${delayed.text} (${delayed.owner}, Forsinket): ${LONG.slice(0, 200)}`));
    expect(own).not.toContain('SLUTMARKØR-ÆØÅ');
    expect(docText).toContain(squash(`${delayed.text} (${delayed.owner}, Forsinket): ${LONG.slice(0, 200)}`));
    // The markup comment is a reason too where its milestone is at risk or delayed, escaped like every other text.
    expect(html).not.toMatch(/<script/i);

    // A goal with every milestone delayed lists eight and says where the rest are.
    const troubled = structuredClone(content);
    const first = troubled.priorities[0]!.goals[0]!;
    const all = [...first.contributions, ...first.interventions.flatMap((i) => i.contributions)].flatMap((c) => c.milestones);
    for (const milestone of all) milestone.state = 'delayed';
    expect(all.length).toBeGreaterThan(8);
    const labels = t.app.get(AnnualReportRenderer).labels;
    const list = reportView(troubled, labels).priorities[0]!.goals[0]!.atRisk;
    expect(list.rows).toHaveLength(8);
    expect(list.rows.map((row) => row.text)).toEqual(all.slice(0, 8).map((m) => m.text));
    expect(list.more).toBe(`… og ${all.length - 8} flere i bilag A.`);
    // Too large to print the milestones: the rest are in the XLSX annex.
    expect(reportView(troubled, labels, 10).priorities[0]!.goals[0]!.atRisk.more).toBe(`… og ${all.length - 8} flere i bilaget (XLSX).`);
  });

  it('holds every milestone row in Annex A, goal by goal, in the HTML and the DOCX', async () => {
    const content = report.content as AnnualReportContent;
    const milestones = milestonesOf(content);
    expect(milestones.length).toBeGreaterThan(100);
    const annex = byId(html, 'annex-a');
    const rows = milestoneRows(annex);
    expect(rows).toHaveLength(milestones.length);
    expect(rows.map((row) => row[1])).toEqual(milestones.map((m) => squash(m.text)));
    expect(rows.map((row) => row[2])).toEqual(milestones.map((m) => squash(m.owner)));
    for (const goal of content.priorities.flatMap((priority) => priority.goals)) {
      const own = milestoneRows(byId(html, `annex-a-goal-${goal.number}`));
      expect(own.map((row) => row[1])).toEqual(milestones.filter((m) => m.goal === goal.number).map((m) => squash(m.text)));
    }
    // The annexes are in the contents, after the year's sections.
    const contents = textIn(descendants(parse(html)).find((element) => element.nodeName === 'nav')!);
    expect(contents).toMatch(/Rapporteringsrunden 2023 Bilag A: Milepæle pr\. mål Bilag B: Dokumentation modtaget i 2023$/);

    const { text, xml } = await docxText(docx);
    const annexAt = text.lastIndexOf('Bilag A: Milepæle pr. mål');
    const evidenceAt = text.lastIndexOf('Bilag B: Dokumentation modtaget i 2023');
    expect(annexAt).toBeGreaterThan(text.lastIndexOf('Rapporteringsrunden 2023'));
    expect(evidenceAt).toBeGreaterThan(annexAt);
    const annexText = text.slice(annexAt, evidenceAt);
    // Word keeps a text's line breaks as breaks between runs: compared without spaces.
    for (const milestone of milestones) expect(flat(annexText)).toContain(flat(milestone.text));
    expect(xml).toContain('<w:pageBreakBefore/>');
    // No file came with the 2023 answers: Annex B says so.
    expect(text.slice(evidenceAt)).toContain('Der blev ikke modtaget filer som dokumentation i 2023.');
    expect(textIn(byId(html, 'annex-b'))).toContain('Der blev ikke modtaget filer som dokumentation i 2023.');
  });

  it('draws the two charts in the DOCX as PNG images, with their titles and figures as alt text in the report’s language', async () => {
    const zip = await JSZip.loadAsync(docx);
    const media = Object.keys(zip.files).filter((name) => name.startsWith('word/media/'));
    expect(media).toHaveLength(2);
    for (const name of media) {
      expect(name).toMatch(/\.png$/);
      const png = await zip.file(name)!.async('nodebuffer');
      expect(png.subarray(0, 8)).toEqual(PNG);
      // IHDR: drawn at twice the SVG's 680 px, so it prints sharp.
      expect(png.readUInt32BE(16)).toBe(1360);
      expect(png.length).toBeGreaterThan(5_000);
    }
    const rels = await zip.file('word/_rels/document.xml.rels')!.async('string');
    for (const name of media) expect(rels).toContain(`Target="${name.replace('word/', '')}"`);
    const { xml } = await docxText(docx);
    const pictures = [...xml.matchAll(/<wp:docPr ([^>]*?)\/?>/g)].map((m) =>
      Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1]!, decodeXml(a[2]!)])),
    );
    expect(pictures).toHaveLength(2);
    const content = report.content as AnnualReportContent;
    const labels = t.app.get(AnnualReportRenderer).labels;
    const [goals, states] = pictures as [Record<string, string>, Record<string, string>];
    expect(goals.title).toBe('Gennemførelsesgrad pr. mål');
    expect(goals.descr).toBe(
      `Gennemførelsesgrad pr. mål: ${content.priorities
        .flatMap((p) => p.goals)
        .map((goal) => `Mål ${goal.number} ${labels.percent('da', goal.figures.completion.value)}`)
        .join('; ')}.`,
    );
    expect(states.title).toBe('Milepælenes fordeling på status');
    expect(states.descr).toMatch(/^Milepælenes fordeling på status: Ikke påbegyndt \d+ \([\d,]+\s%\); .*Forsinket \d+ /);
    const delayed = content.summary.states.find((row) => row.state === 'delayed')!;
    expect(states.descr).toContain(`Forsinket ${delayed.count} (`);
  });

  it('is an editable DOCX with the same headings, figures and overdue list', async () => {
    const { text, xml, core } = await docxText(docx);
    const content = report.content as Json;
    expect(xml).toContain('w:pStyle w:val="Heading1"');
    expect(xml).toContain('<w:tbl>');
    for (const goal of content.priorities.flatMap((p: Json) => p.goals)) {
      expect(text).toContain(squash(`Mål ${goal.number}: ${goal.title}`));
      expect(text).toContain(squash(t.app.get(AnnualReportRenderer).labels.formula('da', 'completion', goal.figures as Figures)));
    }
    expect(text).toContain(squash(content.overdue[0].text));
    expect(text).toContain(squash(content.overdue.at(-1).text));
    expect(text).toContain('SLUTMARKØR-ÆØÅ');
    expect(text).toContain(SCRIPT);
    // Word's dates are the report's, not the packing time's.
    expect(core).toContain(`<dcterms:created xsi:type="dcterms:W3CDTF">${content.generatedAt.replace(/\.\d{3}Z$/, 'Z')}</dcterms:created>`);
  });

  it('leaves the milestone tables of a plan too large to print to the annex, and says so, with every figure kept', async () => {
    // The real plan has 109 milestones; a limit of 10 makes it "too large" the way 100,000 would be.
    const content = report.content as AnnualReportContent;
    const labels = t.app.get(AnnualReportRenderer).labels;
    const view = reportView(content, labels, 10);
    const contributions = view.annexMilestones.goals.flatMap((g) => [
      ...g.ownContributions,
      ...g.interventions.flatMap((i) => i.contributions),
    ]);
    expect(contributions.length).toBeGreaterThan(40);
    for (const contribution of contributions) {
      expect(contribution.milestones).toEqual([]);
      expect(contribution.annexNote).toMatch(/^\d+ milepæle – se bilaget \(XLSX\)/);
    }
    expect(view.overdue.rows).toHaveLength(10);
    expect(view.overdue.more).toBe(`… og ${content.overdue.length - 10} flere i bilaget (XLSX).`);
    // The year's comments stop there too, in order; the annex has them all (next test).
    const limit = 3;
    expect(content.comments.length).toBeGreaterThan(limit);
    const fewer = reportView(content, labels, limit);
    expect(fewer.comments.rows.map((row: Json) => row.comment)).toEqual(content.comments.slice(0, limit).map((comment) => comment.comment));
    expect(fewer.comments.more).toBe(`… og ${content.comments.length - limit} flere kommentarer i bilaget (XLSX).`);
    expect(textOf(new HtmlReport().render(fewer))).toContain(fewer.comments.more);
    expect((await docxText(await renderDocx(fewer, content.generatedAt, 'da-DK'))).text).toContain(fewer.comments.more);
    const small = textOf(new HtmlReport().render(view));
    expect(small).toContain(view.overdue.more);
    // The long comment was also a milestone's last comment in a table: now only the year's comments show it.
    expect(small.split(squash(LONG)).length - 1).toBe(1);
    for (const figure of view.summary.figures) expect(small).toContain(squash(`${figure.name} ${figure.value}`));
    const { text } = await docxText(await renderDocx(view, content.generatedAt, 'da-DK'));
    expect(text).toContain(view.overdue.more);
    expect(text).toContain(contributions[0]!.annexNote);
    // At the real limit the real plan is printed in full.
    expect(reportView(content, labels).overdue.more).toBeNull();
    expect(reportView(content, labels).comments.more).toBeNull();
  });

  it('has an XLSX annex with one row per milestone', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe('Milepæle');
    const keys = await sql<{ key: string }>(t.db.url, `SELECT key FROM "Milestone" ORDER BY key`);
    expect(sheet.rowCount).toBe(keys.length + 1);
    const keyColumn = (sheet.getRow(1).values as string[]).indexOf('Nøgle');
    const rows = [...Array(sheet.rowCount - 1).keys()].map((i) => sheet.getRow(i + 2));
    expect(rows.map((row) => row.getCell(keyColumn).text).sort()).toEqual(keys.map((k) => k.key).sort());
    const comments = rows.map((row) => row.getCell((sheet.getRow(1).values as string[]).indexOf('Seneste kommentar')).value);
    expect(comments).toContain(LONG);
    expect(comments).toContain(SCRIPT);
    // Written row by row (the streaming writer), it keeps what makes it usable: a frozen, bold,
    // filterable header and progress as a percentage.
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.getRow(1).font).toMatchObject({ bold: true });
    expect(sheet.autoFilter).toBeTruthy();
    const progress = rows[0]!.getCell((sheet.getRow(1).values as string[]).indexOf('Fremdrift'));
    expect(typeof progress.value).toBe('number');
    expect(progress.numFmt).toBe('0%');

    // The second sheet: every comment of the year, in the report's order.
    const commentSheet = workbook.worksheets[1]!;
    expect(commentSheet.name).toBe('Kommentarer 2023');
    const content = report.content as AnnualReportContent;
    expect(commentSheet.rowCount).toBe(content.comments.length + 1);
    const header = commentSheet.getRow(1).values as string[];
    const column = (name: string) =>
      [...Array(commentSheet.rowCount - 1).keys()].map((i) => commentSheet.getRow(i + 2).getCell(header.indexOf(name)).value);
    expect(column('Kommentar')).toEqual(content.comments.map((comment) => comment.comment));
    expect(column('Nøgle')).toEqual(content.comments.map((comment) => comment.milestoneKey));
  });

  it('mails the recipients the links to every format', async () => {
    // This report's mail, whatever other reports the other tests have made meanwhile.
    const ofReport = () => smtp.received.find((m) => m.text?.includes(`/reports/${report.id}/`));
    await until(() => ofReport() !== undefined, { describe: () => `${smtp.received.length} other mail(s)` });
    const mail = ofReport()!;
    expect(mail.envelopeTo.sort()).toEqual(['board@norden.test', 'sek@norden.test']);
    expect(mail.subject).toContain('Årsrapporten 2023 er klar');
    for (const format of ['html', 'pdf', 'docx', 'xlsx'])
      expect(mail.text).toContain(`https://handlingsplan.test/reports/${report.id}/${format}?expires=`);
  });

  it('gives the same HTML for the same data, apart from when it was generated', async () => {
    t.clock.set('2024-01-10T09:47:00Z');
    const second = await waitForReport(api, (await api.post('/api/annual-reports').send({ year: 2023 }).expect(202)).body.id);
    expect(second.status).toBe('ready');
    expect(second.generatedAt).not.toBe(report.generatedAt);
    const again = (await download(api, `/api/annual-reports/${second.id}/html`)).body.toString('utf8');
    const labels = t.app.get(AnnualReportRenderer).labels;
    const stamp = (when: string) => labels.t('da', 'report.generated', { date: labels.dateTime('da', when) });
    expect(html).toContain(stamp(report.generatedAt));
    expect(again.replace(stamp(second.generatedAt), '«generated»')).toBe(html.replace(stamp(report.generatedAt), '«generated»'));
    const { generatedAt: _a, ...first } = report.content as Json;
    const { generatedAt: _b, ...next } = second.content as Json;
    expect(next).toEqual(first);
    // The year's reports, newest first (other tests make reports of other years).
    const list = ((await api.get('/api/annual-reports').expect(200)).body as Json[]).filter((r) => r.year === 2023);
    expect(list.map((r) => r.id)).toEqual([second.id, report.id]);
    expect(list[0]?.files).toEqual({
      docx: `/api/annual-reports/${second.id}/docx`,
      html: `/api/annual-reports/${second.id}/html`,
      pdf: `/api/annual-reports/${second.id}/pdf`,
      xlsx: `/api/annual-reports/${second.id}/xlsx`,
    });
  });

  it('refuses a year outside the plan (400 naming year), an unknown plan (404) and bad input', async () => {
    const outside = await api.post('/api/annual-reports').send({ year: 2019 }).expect(400);
    expect(JSON.stringify(outside.body.message)).toContain('year');
    expect(JSON.stringify(outside.body.message)).toContain('2021-2024');
    await api.post('/api/annual-reports').send({ year: 2025 }).expect(400);
    await api.post('/api/annual-reports').send({ year: 2023, plan: 9999 }).expect(404);
    const bad = await api.post('/api/annual-reports').send({ year: '2023x', language: 'fi' }).expect(400);
    expect(bad.body.message.join(' ')).toMatch(/year: .*language: /);
    await api.get('/api/annual-reports/9999').expect(404);
    await api.get('/api/annual-reports/9999/content').expect(404);
    await api.get(`/api/annual-reports/${report.id}/odt`).expect(400);
    // A report whose job has not taken its snapshot yet has no content: a conflict, not a 404.
    const [queued] = await sql<{ id: number }>(
      t.db.url,
      `INSERT INTO "AnnualReport" ("planId", year, language, status, trigger, "requestedBy")
       SELECT "planId", year, language, 'queued', trigger, 'tests' FROM "AnnualReport" WHERE id = $1 RETURNING id`,
      [report.id],
    );
    expect((await api.get(`/api/annual-reports/${queued!.id}`).expect(200)).body).toMatchObject({ status: 'queued', content: null });
    expect((await api.get(`/api/annual-reports/${queued!.id}/content`).expect(409)).body.message).toMatch(/queued/);
    await sql(t.db.url, `DELETE FROM "AnnualReport" WHERE id = $1`, [queued!.id]);
  });

  it('makes a report while the year’s round is open, marked preliminary, in the language asked for', async () => {
    t.clock.set('2024-02-01T09:00:00Z');
    await api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const created = (await api.post('/api/annual-reports').send({ year: 2024, language: 'sv' }).expect(202)).body as Json;
    expect(created).toMatchObject({ preliminary: true, language: 'sv' });
    // Not ready yet: the files are a conflict, not a 404.
    const early = await api.get(`/api/annual-reports/${created.id}/pdf`);
    expect([409, 200]).toContain(early.status);
    const ready = await waitForReport(api, created.id);
    expect(ready).toMatchObject({
      status: 'ready',
      preliminary: true,
      content: { preliminary: true, language: 'sv', summary: { reporting: { round: { state: 'open' } } } },
    });
    const page = (await download(api, `/api/annual-reports/${created.id}/html`)).body.toString('utf8');
    expect(page).toContain('<html lang="sv">');
    expect(textOf(page)).toContain('Årsrapport 2024 Preliminär');
    expect(textOf(page)).toContain('Måluppfyllelse');
  });

  it('serves the HTML so that nothing in it can run', async () => {
    const response = await api.get(`/api/annual-reports/${report.id}/html`).expect(200);
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('the automatic annual report', () => {
  let smtp: TestSmtpServer;
  let db: TestDatabase;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await smtp?.stop();
    await db?.drop();
  });

  it('is made once for the previous year on 5 January, and once when a round closes, however many instances tick', async () => {
    const env = {
      SMTP_URL: smtp.url,
      SECRETARIAT_EMAIL: 'sek@norden.test',
      REPORT_RECIPIENTS: 'board@norden.test',
      ANNUAL_REPORT_AUTO: 'true',
    };
    const instances = await Promise.all([1, 2, 3].map(() => startTestApp({ db, env, now: '2024-01-04T09:00:00Z' })));
    try {
      await instances[0]!.app.get(PlanImportService).importFile(SEED);
      const tickAll = async (at: string) => {
        for (const instance of instances) instance.clock.set(at);
        const results = await Promise.all(instances.map((instance) => instance.app.get(RoundScheduler).tick()));
        return results.flatMap((result) => result.reports);
      };
      const reports = () =>
        sql<{ id: number; year: number; trigger: string; status: string; preliminary: boolean }>(
          db.url,
          `SELECT id, year, trigger::text, status::text, preliminary FROM "AnnualReport" ORDER BY id`,
        );

      expect(await tickAll('2024-01-04T09:00:00Z')).toEqual([]); // not yet
      const made = await tickAll('2024-01-05T09:00:00Z');
      expect(made).toHaveLength(1);
      expect(await tickAll('2024-01-05T09:01:00Z')).toEqual([]);
      const api = instances[1]!.api;
      const report = await waitForReport(api, made[0]!);
      expect(report).toMatchObject({
        year: 2023,
        trigger: 'yearly',
        status: 'ready',
        preliminary: false,
        language: 'da',
        requestedBy: 'schedule:yearly',
      });
      expect((await reports()).filter((r) => r.year === 2023)).toHaveLength(1);
      const mails = await smtp.waitFor(1);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.envelopeTo).toEqual(['board@norden.test']);
      expect(mails[0]!.subject).toContain('Årsrapporten 2023 er klar');
      expect(mails[0]!.text).toContain(`https://handlingsplan.test/reports/${report.id}/pdf?expires=`);
      smtp.clear();

      // A round for 2024 that closes: its year gets a report from the tick that closes it, once.
      await api.post('/api/rounds').send({ year: 2024, deadline: '2024-02-01', graceUntil: '2024-02-10' }).expect(201);
      expect(await tickAll('2024-02-05T09:00:00Z')).toEqual([]);
      const afterClose = await tickAll('2024-02-11T09:00:00Z');
      const later = await tickAll('2024-02-11T09:05:00Z');
      expect([...afterClose, ...later]).toHaveLength(1);
      const closed = await waitForReport(api, [...afterClose, ...later][0]!);
      expect(closed).toMatchObject({ year: 2024, trigger: 'round_closed', status: 'ready', preliminary: false });
      expect(await tickAll('2024-03-01T09:00:00Z')).toEqual([]);
      expect((await reports()).map((r) => [r.year, r.trigger])).toEqual([
        [2023, 'yearly'],
        [2024, 'round_closed'],
      ]);
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
    }
  });
});

describe('a report whose PDF cannot be made', () => {
  it('keeps the snapshot it took across retries, renders from it, and records the failure when it gives up', async () => {
    const db = await createTestDatabase();
    // API-only instances: no worker takes the jobs, the test runs the handler itself.
    const broken = await startTestApp({
      db,
      env: { PROCESS_ROLE: 'api', CHROMIUM_PATH: '/nonexistent/chromium' },
      now: '2024-01-10T09:00:00Z',
    });
    const working = await startTestApp({ db, env: { PROCESS_ROLE: 'api' }, now: '2024-01-10T09:30:00Z' });
    try {
      await broken.app.get(PlanImportService).importFile(SEED);
      const first = (await broken.api.post('/api/annual-reports').send({ year: 2023 }).expect(202)).body as Json;
      const attempt = (made: number) => ({ attemptsMade: made, opts: { attempts: 3 } });
      await expect(broken.app.get(AnnualReportService).generate(first.id, attempt(0))).rejects.toThrow(
        /CHROMIUM_PATH=\/nonexistent\/chromium.*install Debian's chromium/,
      );
      expect((await broken.api.get(`/api/annual-reports/${first.id}`).expect(200)).body).toMatchObject({
        status: 'generating',
        error: null,
        content: `/api/annual-reports/${first.id}/content`,
      });
      const retrying = { content: (await broken.api.get(`/api/annual-reports/${first.id}/content`).expect(200)).body as Json };
      expect(retrying.content).toMatchObject({ generatedAt: '2024-01-10T09:00:00.000Z' });
      expect(retrying.content.summary.figures.counts.completed).toBe(0);
      await broken.api.get(`/api/annual-reports/${first.id}/pdf`).expect(409);

      // Everything is completed before the retry; the report still says what was known when it was asked for.
      await sql(db.url, `UPDATE "Milestone" SET state = 'completed', progress = 100`);
      expect(await working.app.get(AnnualReportService).generate(first.id, attempt(1))).toBe('ready');
      const ready = (await working.api.get(`/api/annual-reports/${first.id}`).expect(200)).body as Json;
      expect(ready).toMatchObject({ status: 'ready', generatedAt: '2024-01-10T09:00:00.000Z' });
      expect((await working.api.get(ready.content as string).expect(200)).body).toEqual(retrying.content);
      const live = (await working.api.get('/api/attainment?asOf=2023-12-31').expect(200)).body as Json;
      expect(live.figures.counts.completed).toBe(live.figures.counts.total);
      const page = textOf((await download(working.api, `/api/annual-reports/${first.id}/html`)).body.toString('utf8'));
      const formula = (figures: Json) => working.app.get(AnnualReportRenderer).labels.formula('da', 'completion', figures as Figures);
      expect(page).toContain(squash(formula(retrying.content.summary.figures)));
      expect(page).not.toContain(squash(formula(live.figures)));
      // A job that runs again after the report is ready does nothing.
      expect(await working.app.get(AnnualReportService).generate(first.id, attempt(2))).toBe('already-done');

      const second = (await broken.api.post('/api/annual-reports').send({ year: 2023 }).expect(202)).body as Json;
      await expect(broken.app.get(AnnualReportService).generate(second.id, attempt(2))).rejects.toThrow(/CHROMIUM_PATH/);
      const failed = (await broken.api.get(`/api/annual-reports/${second.id}`).expect(200)).body as Json;
      expect(failed).toMatchObject({ status: 'failed', error: expect.stringContaining('CHROMIUM_PATH=/nonexistent/chromium'), files: {} });
      const conflict = await broken.api.get(`/api/annual-reports/${second.id}/html`).expect(409);
      expect(conflict.body.message).toContain('failed');
    } finally {
      await working.close();
      await broken.close();
      await db.drop();
    }
  });
});
