import ExcelJS from 'exceljs';
import { PassThrough } from 'node:stream';
import type { AnnualReportContent, MilestoneRow } from '../annual-report.content.js';
import type { ReportLabels } from './report-labels.js';

/**
 * The annex: every milestone of the plan as one row, for filtering and pivoting, and on a second
 * sheet every comment of the year. Cells hold plain values (numbers as numbers, text as text;
 * nothing becomes a formula), in the plan's order.
 * The workbook's dates are the report's generatedAt, so the same snapshot gives the same sheet.
 *
 * Written with exceljs' streaming writer: each row is turned into XML and compressed as it is
 * added, instead of a cell object model of the whole plan held until the end (at 100,000
 * milestones that model took most of 3 GiB and 22 s; bench/RESULTS.md).
 */
export async function renderXlsx(content: AnnualReportContent, labels: ReportLabels): Promise<Buffer> {
  const lang = content.language;
  const t = (key: string) => labels.t(lang, key);
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  const written = new Promise<void>((resolve, reject) => {
    output.once('end', resolve);
    output.once('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
  const generatedAt = new Date(content.generatedAt);
  workbook.creator = 'handlingsplan';
  workbook.lastModifiedBy = 'handlingsplan';
  workbook.created = generatedAt;
  workbook.modified = generatedAt;
  workbook.title = `${labels.t(lang, 'report.title', { year: content.year })} – ${content.plan.title}`;

  writeSheet(
    workbook,
    t('xlsx.sheet'),
    [
      { header: t('col.goal'), key: 'goal', width: 7 },
      { header: t('col.intervention'), key: 'intervention', width: 12 },
      { header: t('col.contribution'), key: 'contribution', width: 28 },
      { header: t('col.owner'), key: 'owner', width: 22 },
      { header: t('col.label'), key: 'label', width: 12 },
      { header: t('col.milestone'), key: 'milestone', width: 70, wrap: true },
      { header: t('col.due'), key: 'due', width: 11 },
      { header: t('col.state'), key: 'state', width: 20 },
      { header: t('col.progress'), key: 'progress', width: 10, percent: true },
      { header: t('col.last_comment'), key: 'lastComment', width: 60, wrap: true },
      { header: t('col.date'), key: 'lastCommentAt', width: 14 },
      { header: t('col.key'), key: 'key', width: 36 },
    ],
    lazily(milestonesOf(content), (milestone) => ({
      goal: milestone.goal,
      intervention: milestone.intervention ?? '',
      contribution: milestone.contribution,
      owner: milestone.owner,
      label: milestone.label ?? '',
      milestone: milestone.text,
      due: labels.due(lang, milestone.dueFrom, milestone.dueTo),
      state: t(`state.${milestone.state}`),
      progress: milestone.progress / 100,
      lastComment: milestone.lastComment?.text ?? '',
      lastCommentAt: milestone.lastComment ? milestone.lastComment.at.slice(0, 10) : '',
      key: milestone.key,
    })),
  );

  // Every comment of the year: the printed formats stop at PRINTED_MILESTONES_LIMIT of them.
  writeSheet(
    workbook,
    labels.t(lang, 'xlsx.comments_sheet', { year: content.year }),
    [
      { header: t('col.date'), key: 'date', width: 12 },
      { header: t('col.goal'), key: 'goal', width: 7 },
      { header: t('col.intervention'), key: 'intervention', width: 12 },
      { header: t('col.owner'), key: 'owner', width: 22 },
      { header: t('col.label'), key: 'label', width: 12 },
      { header: t('col.milestone'), key: 'milestone', width: 50, wrap: true },
      { header: t('col.state'), key: 'state', width: 20 },
      { header: t('col.progress'), key: 'progress', width: 10, percent: true },
      { header: t('col.comment'), key: 'comment', width: 70, wrap: true },
      { header: t('col.channel'), key: 'channel', width: 18 },
      { header: t('col.key'), key: 'key', width: 36 },
    ],
    lazily(content.comments, (comment) => ({
      date: comment.at.slice(0, 10),
      goal: comment.goal,
      intervention: comment.intervention ?? '',
      owner: comment.owner,
      label: comment.label ?? '',
      milestone: comment.milestone,
      state: t(`state.${comment.state}`),
      progress: comment.progress / 100,
      comment: comment.comment,
      channel: [t(`channel.${comment.channel}`), ...(comment.late ? [t('comments.late')] : [])].join(', '),
      key: comment.milestoneKey,
    })),
  );
  // Each goal's criteria with the year's verdict, justification and evidence (older snapshots have none).
  const criteria = content.priorities.flatMap((priority) =>
    priority.goals.flatMap((goal) => (goal.criteria?.items ?? []).map((item) => ({ goal: goal.number, ...item }))),
  );
  if (criteria.length > 0) {
    writeSheet(
      workbook,
      labels.t(lang, 'xlsx.criteria_sheet', { year: content.year }),
      [
        { header: t('col.goal'), key: 'goal', width: 7 },
        { header: t('col.label'), key: 'key', width: 8 },
        { header: t('col.criterion'), key: 'criterion', width: 60, wrap: true },
        { header: t('col.verdict'), key: 'verdict', width: 18 },
        { header: t('col.justification'), key: 'justification', width: 60, wrap: true },
        { header: t('col.evidence'), key: 'evidence', width: 40 },
      ],
      lazily(criteria, (item) => ({
        goal: item.goal,
        key: item.key,
        criterion: item.text,
        verdict: t(`verdict.${item.verdict}`),
        justification: item.justification ?? '',
        evidence: item.evidenceUrl ?? '',
      })),
    );
  }
  // Files kept as evidence, per milestone in the plan's order (older snapshots have none).
  if (content.files) {
    writeSheet(
      workbook,
      labels.t(lang, 'xlsx.files_sheet', { year: content.year }),
      [
        { header: t('col.goal'), key: 'goal', width: 7 },
        { header: t('col.intervention'), key: 'intervention', width: 12 },
        { header: t('col.owner'), key: 'owner', width: 22 },
        { header: t('col.label'), key: 'label', width: 12 },
        { header: t('col.milestone'), key: 'milestone', width: 50, wrap: true },
        { header: t('col.file'), key: 'file', width: 40 },
        { header: t('col.size_kb'), key: 'size', width: 12 },
        { header: t('col.date'), key: 'date', width: 12 },
        { header: t('col.channel'), key: 'channel', width: 18 },
        { header: t('col.organisation'), key: 'organisation', width: 24 },
        { header: t('col.key'), key: 'key', width: 36 },
      ],
      lazily(content.files, (file) => ({
        goal: file.goal,
        intervention: file.intervention ?? '',
        owner: file.owner,
        label: file.label ?? '',
        milestone: file.milestone,
        file: file.fileName,
        size: Math.max(1, Math.round(file.size / 1024)),
        date: file.at.slice(0, 10),
        channel: t(`channel.${file.channel}`),
        organisation: file.organisation ?? '',
        key: file.milestoneKey,
      })),
    );
  }
  await workbook.commit();
  await written;
  return Buffer.concat(chunks);
}

/** Every milestone in the report's order: priority, goal, the goal's own contributions, then each intervention's. */
export function milestonesOf(content: AnnualReportContent): MilestoneRow[] {
  return content.priorities.flatMap((priority) =>
    priority.goals.flatMap((goal) => [
      ...goal.contributions.flatMap((contribution) => contribution.milestones),
      ...goal.interventions.flatMap((intervention) => intervention.contributions.flatMap((contribution) => contribution.milestones)),
    ]),
  );
}

interface Column {
  header: string;
  key: string;
  width: number;
  /** A fraction shown as a percentage. */
  percent?: boolean;
  /** Long text, wrapped at the top of its cell. */
  wrap?: boolean;
}

/** One sheet: a frozen, bold, filterable header, then the rows, each written out as it is added. */
function writeSheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  columns: Column[],
  rows: Iterable<Record<string, string | number>>,
): void {
  // Views are written with the sheet's opening XML, so they are given when it is created.
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map(({ header, key, width }) => ({ header, key, width }));
  sheet.getRow(1).font = { bold: true };
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  for (const values of rows) {
    const row = sheet.addRow(values);
    for (const column of columns) {
      if (column.percent) row.getCell(column.key).numFmt = '0%';
      if (column.wrap) row.getCell(column.key).alignment = { wrapText: true, vertical: 'top' };
    }
    row.commit();
  }
  sheet.commit();
}

/** Each row is built as it is written, so the plan's rows are never all in memory at once. */
function* lazily<T, R>(items: Iterable<T>, toRow: (item: T) => R): Generator<R> {
  for (const item of items) yield toRow(item);
}
