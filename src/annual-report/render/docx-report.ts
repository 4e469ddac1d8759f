import {
  AlignmentType,
  Document,
  Footer,
  HeadingLevel,
  ImageRun,
  Packer,
  PageNumber,
  Paragraph,
  ShadingType,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
  type FileChild,
} from 'docx';
import { chartPng } from './chart-images.js';
import { escapeXml } from './charts.js';
import type { AtRiskView, ContributionView, FigureRow, ReportView } from './report-view.js';

/**
 * The report as an editable Word document: the same ReportView as the HTML, as real headings,
 * paragraphs and tables (no text boxes), so the secretariat can edit it, restyle it and paste
 * from it. The charts are the HTML's own SVGs as PNG images (chart-images.ts), each with its
 * title and its figures in words as alt text. Word's "created" and "modified" are the report's
 * generatedAt, not the moment of packing, so the same snapshot gives the same document.
 */

/** A4 with 2 cm margins: the width tables can use, in twentieths of a point. */
const PAGE = { width: 11_906, height: 16_838, margin: 1_134 };
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;

const MUTED = '5B6470';

/** A paragraph that keeps the text's line breaks (Word needs explicit breaks; a \n would be lost). */
function lines(text: string, options: { bold?: boolean; size?: number; color?: string } = {}): TextRun[] {
  return text.split(/\r\n?|\n/).map((line, index) => new TextRun({ text: line, break: index === 0 ? undefined : 1, ...options }));
}

const para = (text: string, options: { bold?: boolean; size?: number; color?: string; spacingAfter?: number } = {}) =>
  new Paragraph({ children: lines(text, options), spacing: { after: options.spacingAfter ?? 120 } });

const heading = (text: string, level: (typeof HeadingLevel)[keyof typeof HeadingLevel]) =>
  new Paragraph({ text, heading: level, keepNext: true });

function cell(
  text: string,
  width: number,
  options: { header?: boolean; size?: number; color?: string; right?: boolean; span?: number } = {},
): TableCell {
  return new TableCell({
    width: { size: width, type: WidthType.DXA },
    columnSpan: options.span,
    margins: { top: 40, bottom: 40, left: 80, right: 80 },
    shading: options.header ? { type: ShadingType.CLEAR, color: 'auto', fill: 'F0F2F5' } : undefined,
    children: [
      new Paragraph({
        alignment: options.right ? AlignmentType.RIGHT : AlignmentType.LEFT,
        children: lines(text, { bold: options.header, size: options.size ?? 18, color: options.color }),
      }),
    ],
  });
}

/** A row of cells, or one cell across the whole table (a long comment under its milestone). */
type Row = string[] | { across: string };

/** A table with a repeated header row; `shares` are the columns' parts of the page width. */
function table(headers: string[], rows: Row[], shares: number[], options: { right?: number[]; small?: number[] } = {}): Table {
  const total = shares.reduce((sum, share) => sum + share, 0);
  const widths = shares.map((share) => Math.floor((share / total) * CONTENT_WIDTH));
  const right = new Set(options.right ?? []);
  const small = new Set(options.small ?? []);
  return new Table({
    width: { size: CONTENT_WIDTH, type: WidthType.DXA },
    columnWidths: widths,
    rows: [
      ...(headers.length
        ? [
            new TableRow({
              tableHeader: true,
              cantSplit: true,
              children: headers.map((header, i) => cell(header, widths[i]!, { header: true, right: right.has(i) })),
            }),
          ]
        : []),
      ...rows.map(
        (row) =>
          new TableRow({
            cantSplit: false,
            children:
              'across' in row
                ? [cell(row.across, CONTENT_WIDTH, { span: widths.length, size: 16 })]
                : row.map((text, i) =>
                    cell(text, widths[i]!, { right: right.has(i), size: small.has(i) ? 16 : 18, color: small.has(i) ? MUTED : undefined }),
                  ),
          }),
      ),
    ],
  });
}

function figuresTable(view: ReportView, rows: FigureRow[]): Table {
  return table(
    [view.columns.figure, view.columns.value, view.columns.formula],
    rows.map((row) => [row.name, row.value, row.formula]),
    [24, 14, 62],
    { right: [1], small: [2] },
  );
}

/** A chart as an image as wide as the page allows, with its title and figures as alt text. */
function chart(svg: string, title: string, description: string, name: string): Paragraph {
  const image = chartPng(svg);
  // Twentieths of a point to CSS pixels (96 per inch), at most the SVG's own width.
  const width = Math.min(Math.round((CONTENT_WIDTH / 1440) * 96), image.width / 2);
  const height = Math.round((image.height / image.width) * width);
  return new Paragraph({
    spacing: { after: 200 },
    children: [new ImageRun({ type: 'png', data: image.png, transformation: { width, height }, altText: { name, title, description } })],
  });
}

/** A goal's milestones at risk or delayed, each with the committee's reason. */
function atRisk(list: AtRiskView): FileChild[] {
  const children: FileChild[] = [heading(list.title, HeadingLevel.HEADING_4)];
  if (list.rows.length === 0) children.push(para(list.none, { color: MUTED }));
  for (const row of list.rows) {
    children.push(
      new Paragraph({
        bullet: { level: 0 },
        children: [
          new TextRun({ text: row.label ? `${row.label} ${row.text}` : row.text, bold: true }),
          new TextRun({ text: ` (${row.owner}, ${row.state}): ` }),
          ...lines(row.reason),
          ...(row.reasonAt ? [new TextRun({ text: ` – ${row.reasonAt}`, color: MUTED })] : []),
        ],
      }),
    );
  }
  if (list.more) children.push(para(list.more, { color: MUTED }));
  return children;
}

function contribution(view: ReportView, block: ContributionView): FileChild[] {
  const c = view.columns;
  return [
    heading(block.organisation, HeadingLevel.HEADING_4),
    para(block.summary),
    para(block.meta, { size: 18, color: MUTED }),
    block.annexNote
      ? para(block.annexNote, { color: MUTED })
      : block.milestones.length
        ? table(
            [c.label, c.milestone, c.owner, c.due, c.state, c.progress, c.lastComment],
            block.milestones.flatMap((m): Row[] => [
              [
                m.label,
                m.text,
                m.owner,
                m.due,
                m.state,
                m.progress,
                m.lastComment === null ? '' : m.longComment ? `${m.lastCommentAt} ↓` : `${m.lastComment}\n${m.lastCommentAt}`,
              ],
              ...(m.longComment ? [{ across: `${c.lastComment}, ${m.lastCommentAt}: ${m.lastComment}` }] : []),
            ]),
            [8, 26, 17, 7, 13, 10, 19],
            { right: [5] },
          )
        : para(view.noMilestones, { color: MUTED }),
    new Paragraph({ text: '' }),
  ];
}

export async function renderDocx(view: ReportView, generatedAt: string, locale: string): Promise<Buffer> {
  const c = view.columns;
  const children: FileChild[] = [];

  children.push(
    new Paragraph({ text: view.preliminary ? `${view.title} – ${view.preliminary}` : view.title, heading: HeadingLevel.TITLE }),
  );
  children.push(para(view.planTitle, { size: 26 }));
  children.push(para(`${view.period} · ${view.asOf} · ${view.generated}`, { color: MUTED }));
  if (view.preliminaryNote) children.push(para(view.preliminaryNote, { bold: true }));
  if (view.approval) children.push(para(view.approval, { bold: true }));
  for (const reopening of view.reopenings) children.push(para(reopening, { color: MUTED }));

  if (view.foreword) {
    children.push(heading(view.foreword.heading, HeadingLevel.HEADING_1));
    for (const paragraph of view.foreword.paragraphs) children.push(para(paragraph));
    children.push(para(view.foreword.byline, { color: MUTED }));
  }
  children.push(heading(view.headings.summary, HeadingLevel.HEADING_1));
  for (const sentence of view.summary.highlights) children.push(new Paragraph({ text: sentence, bullet: { level: 0 } }));
  children.push(para(view.formulasNote, { color: MUTED }));
  children.push(figuresTable(view, view.summary.figures));
  children.push(heading(view.summary.statesTitle, HeadingLevel.HEADING_2));
  children.push(
    table(
      [c.state, c.count, c.share],
      view.summary.states.map((row) => [row.label, row.count, row.share]),
      [50, 25, 25],
      { right: [1, 2] },
    ),
  );
  children.push(heading(view.summary.reportingTitle, HeadingLevel.HEADING_2));
  if (view.summary.reporting.length)
    children.push(
      table(
        [],
        view.summary.reporting.map((row) => [row.name, row.value]),
        [70, 30],
        { right: [1] },
      ),
    );
  children.push(para(view.summary.reportingNote, { color: MUTED }));
  children.push(heading(view.summary.goalsChartTitle, HeadingLevel.HEADING_2));
  children.push(chart(view.summary.goalsChart, view.summary.goalsChartTitle, view.summary.goalsChartText, 'chart-goals'));
  children.push(heading(view.summary.statesChartTitle, HeadingLevel.HEADING_2));
  children.push(chart(view.summary.statesChart, view.summary.statesChartTitle, view.summary.statesChartText, 'chart-states'));

  children.push(heading(view.headings.goals, HeadingLevel.HEADING_1));
  for (const priority of view.priorities) {
    children.push(heading(priority.heading, HeadingLevel.HEADING_2));
    children.push(figuresTable(view, priority.figures));
    for (const goal of priority.goals) {
      children.push(heading(goal.heading, HeadingLevel.HEADING_3));
      if (goal.criteria.length > 0) children.push(heading(goal.criteriaTitle, HeadingLevel.HEADING_4));
      for (const criterion of goal.criteria) children.push(new Paragraph({ children: lines(criterion), bullet: { level: 0 } }));
      children.push(heading(goal.assessment.title, HeadingLevel.HEADING_4));
      children.push(
        new Paragraph({
          children: [new TextRun({ text: goal.assessment.summary, bold: true }), new TextRun(` · ${goal.assessment.milestones}`)],
        }),
      );
      for (const row of goal.assessment.rows) {
        const said = [row.justification, row.evidenceUrl].filter(Boolean).join(' ');
        children.push(
          new Paragraph({
            bullet: { level: 0 },
            children: [
              new TextRun({ text: `${row.key} ${row.text}: `, bold: true }),
              new TextRun(said ? `${row.verdict}. ${said}` : row.verdict),
            ],
          }),
        );
      }
      children.push(heading(goal.figuresTitle, HeadingLevel.HEADING_4));
      children.push(figuresTable(view, goal.figures));
      children.push(...atRisk(goal.atRisk));
      children.push(para(goal.annexPointer.text, { bold: true }));
    }
  }

  children.push(heading(view.headings.comments, HeadingLevel.HEADING_1));
  if (view.comments.rows.length) {
    children.push(
      table(
        [c.date, c.goal, c.milestone, c.owner, c.state, c.comment],
        view.comments.rows.flatMap((row): Row[] => [
          [
            row.date,
            row.intervention ? `${row.goal}\n${row.intervention}` : row.goal,
            row.label ? `${row.label} ${row.milestone}` : row.milestone,
            row.owner,
            row.state,
            row.long ? `${row.channel} ↓` : `${row.comment}\n${row.channel}`,
          ],
          ...(row.long ? [{ across: row.comment }] : []),
        ]),
        [11, 7, 24, 15, 12, 31],
      ),
    );
    if (view.comments.more) children.push(para(view.comments.more, { color: MUTED }));
  } else {
    children.push(para(view.comments.none, { color: MUTED }));
  }

  children.push(heading(view.headings.overdue, HeadingLevel.HEADING_1));
  if (view.overdue.rows.length) {
    children.push(para(view.overdue.intro));
    children.push(
      table(
        [c.goal, c.intervention, c.label, c.milestone, c.owner, c.due, c.state, c.yearsLate, c.lastComment],
        view.overdue.rows.map((row) => [
          row.goal,
          row.intervention,
          row.label,
          row.milestone,
          row.owner,
          row.due,
          row.state,
          row.yearsLate,
          row.lastComment,
        ]),
        [5, 8, 8, 25, 15, 8, 12, 7, 12],
        { right: [7] },
      ),
    );
    if (view.overdue.more) children.push(para(view.overdue.more, { color: MUTED }));
  } else {
    children.push(para(view.overdue.none, { color: MUTED }));
  }

  children.push(heading(view.headings.responses, HeadingLevel.HEADING_1));
  if (view.responses.none) {
    children.push(para(view.responses.none, { color: MUTED }));
  } else {
    children.push(para(view.summary.reportingNote, { color: MUTED }));
    for (const group of view.responses.groups) {
      children.push(heading(group.title, HeadingLevel.HEADING_2));
      if (group.rows.length)
        children.push(
          table(
            [c.organisation, ''],
            group.rows.map((row) => [row.organisation, row.detail]),
            [60, 40],
          ),
        );
      else children.push(para(view.responses.nobody, { color: MUTED }));
    }
  }

  children.push(new Paragraph({ text: view.headings.annexMilestones, heading: HeadingLevel.HEADING_1, pageBreakBefore: true }));
  children.push(para(view.annexMilestones.intro, { color: MUTED }));
  for (const goal of view.annexMilestones.goals) {
    children.push(heading(goal.heading, HeadingLevel.HEADING_2));
    children.push(heading(goal.budgetTitle, HeadingLevel.HEADING_3));
    if (goal.budget) {
      const rows = goal.budget.lines.map((line) => [line.partner, line.amount]);
      if (goal.budget.total !== null) rows.push([goal.budget.totalLabel, goal.budget.total]);
      children.push(table([goal.budget.partnerHeader, goal.budget.amountHeader], rows, [60, 40], { right: [1] }));
    } else {
      children.push(para(goal.noBudget, { color: MUTED }));
    }
    if (goal.ownContributions.length) {
      children.push(heading(goal.ownContributionsTitle, HeadingLevel.HEADING_3));
      for (const block of goal.ownContributions) children.push(...contribution(view, block));
    }
    for (const intervention of goal.interventions) {
      children.push(heading(intervention.heading, HeadingLevel.HEADING_3));
      if (intervention.partners) children.push(para(intervention.partners, { color: MUTED }));
      children.push(
        new Paragraph({
          spacing: { after: 120 },
          children: [
            new TextRun({ text: `${intervention.completion.name}: ` }),
            new TextRun({ text: intervention.completion.value, bold: true }),
            new TextRun({ text: ` (${intervention.completion.formula})`, size: 16, color: MUTED }),
          ],
        }),
      );
      if (intervention.contributions.length === 0) children.push(para(intervention.none, { color: MUTED }));
      for (const block of intervention.contributions) children.push(...contribution(view, block));
    }
  }

  children.push(new Paragraph({ text: view.headings.annexEvidence, heading: HeadingLevel.HEADING_1, pageBreakBefore: true }));
  const evidence = view.annexEvidence;
  if (evidence.goals.length === 0) children.push(para(evidence.none, { color: MUTED }));
  else children.push(para(evidence.intro, { color: MUTED }));
  for (const goal of evidence.goals) {
    children.push(heading(goal.heading, HeadingLevel.HEADING_2));
    children.push(
      table(
        [evidence.columns.milestone, evidence.columns.file, evidence.columns.organisation, evidence.columns.date],
        goal.rows.map((row) => [row.milestone, row.file, row.organisation, row.date]),
        [38, 27, 22, 13],
      ),
    );
  }
  if (evidence.more) children.push(para(evidence.more, { color: MUTED }));

  const document = new Document({
    title: `${view.title} – ${view.planTitle}`,
    creator: 'handlingsplan',
    lastModifiedBy: 'handlingsplan',
    description: view.planTitle,
    styles: { default: { document: { run: { font: 'Arial', size: 20 } } } },
    sections: [
      {
        properties: {
          page: {
            size: { width: PAGE.width, height: PAGE.height },
            margin: { top: PAGE.margin, bottom: PAGE.margin, left: PAGE.margin, right: PAGE.margin },
          },
        },
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.RIGHT,
                children: [
                  new TextRun({ text: `${view.title} · ${view.pageLabel} `, size: 16, color: MUTED }),
                  new TextRun({ children: [PageNumber.CURRENT], size: 16, color: MUTED }),
                ],
              }),
            ],
          }),
        },
        children,
      },
    ],
  });
  return Packer.toBuffer(document, false, [
    { path: 'docProps/core.xml', data: coreProperties(`${view.title} – ${view.planTitle}`, view.planTitle, generatedAt, locale) },
  ]);
}

/** Word's document properties, with the report's own time instead of the packing time. */
function coreProperties(title: string, description: string, generatedAt: string, locale: string): string {
  const when = generatedAt.replace(/\.\d{3}Z$/, 'Z');
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" ' +
    'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<dc:title>${escapeXml(title)}</dc:title><dc:description>${escapeXml(description)}</dc:description><dc:creator>handlingsplan</dc:creator>` +
    `<dc:language>${escapeXml(locale)}</dc:language><cp:lastModifiedBy>handlingsplan</cp:lastModifiedBy><cp:revision>1</cp:revision>` +
    `<dcterms:created xsi:type="dcterms:W3CDTF">${when}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">${when}</dcterms:modified>` +
    '</cp:coreProperties>'
  );
}
