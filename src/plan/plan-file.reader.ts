import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { readDueLabel } from './due-label.js';
import { planFileSchema, type ContributionEntry, type OrganisationEntry, type PlanFile } from './plan-file.schema.js';
import { type MilestoneStateName } from '../common/milestone-states.js';

/** One thing wrong with a plan file, with the place it was found. */
export interface PlanProblem {
  file: string;
  /** Where in the document, e.g. priorities[0].goals[2].interventions[1].code */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

export class PlanFileError extends Error {
  constructor(readonly problems: PlanProblem[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the plan file:\n${problems.map(formatProblem).join('\n')}`);
  }
}

export function formatProblem(problem: PlanProblem): string {
  const place = problem.line ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  return `  ${place} ${problem.path || '(top level)'}: ${problem.message}`;
}

/** A plan file after validation: every key, kind and due year filled in. */
export interface PlanDraft {
  slug: string;
  title: string;
  period: { from: number; to: number };
  currency: string;
  source: string | null;
  notes: string[];
  organisations: OrganisationDraft[];
  priorities: PriorityDraft[];
  /** Things worth a look that do not stop the import. */
  warnings: string[];
}

export interface OrganisationDraft extends Omit<OrganisationEntry, 'contacts' | 'contactsArePlaceholders'> {
  contacts: { email: string; name: string | null; placeholder: boolean }[];
}

export interface PriorityDraft {
  name: string;
  notes: string[];
  goals: GoalDraft[];
}

export interface GoalDraft {
  number: number;
  title: string;
  attainmentCriteria: string[];
  /** The assessable items of the criteria, each from one of attainmentCriteria (numbered from 1). */
  criteria: { key: string; text: string; source: number }[];
  budget: { currency: string; lines: { partner: string; amount: number }[]; total: number | null } | null;
  notes: string[];
  contributions: ContributionDraft[];
  interventions: InterventionDraft[];
}

export interface InterventionDraft {
  code: string;
  title: string;
  partners: string[];
  notes: string[];
  contributions: ContributionDraft[];
}

export interface ContributionDraft {
  key: string;
  organisation: string;
  summary: string;
  text: string;
  budget: { currency: string; amount: number } | null;
  notes: string[];
  milestones: MilestoneDraft[];
}

export interface MilestoneDraft {
  key: string;
  label: string | null;
  kind: 'milestone' | 'deliverable';
  dueFrom: number | null;
  dueTo: number | null;
  dueMonth: number | null;
  text: string;
  state: MilestoneStateName | null;
  progress: number | null;
  notes: string[];
}

type Path = (string | number)[];

/** A plan needs few YAML aliases, if any; a file that expands them without end is refused, not followed. */
const MAX_ALIASES = 100;

function toJS(document: Document, file: string): unknown {
  try {
    return document.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    throw new PlanFileError([
      {
        file,
        path: '',
        line: 1,
        column: 1,
        message: `YAML aliases expand too far (more than ${MAX_ALIASES} copies); write the values out instead`,
      },
    ]);
  }
}

/**
 * Reads a plan file (YAML or JSON) and checks all of it before anything is written: the shape,
 * then the rules that span the document (known organisations, unique codes and keys, due years
 * inside the period). Every problem is reported with its line and path, not just the first.
 */
export function readPlanFile(content: string, file: string): PlanDraft {
  const lineCounter = new LineCounter();
  const document = parseDocument(content, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const place = (path: Path) => locate(document, lineCounter, path);

  if (document.errors.length > 0) {
    throw new PlanFileError(
      document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { file, path: '', line, column: col, message: `not valid YAML or JSON: ${error.message.split('\n')[0]}` };
      }),
    );
  }

  const parsed = planFileSchema.safeParse(toJS(document, file));
  if (!parsed.success) {
    throw new PlanFileError(
      parsed.error.issues.map((issue) => ({
        file,
        ...place(issue.path as Path),
        path: formatPath(issue.path as Path),
        message: describe(issue),
      })),
    );
  }

  const problems: PlanProblem[] = [];
  const problem = (path: Path, message: string) => problems.push({ file, path: formatPath(path), ...place(path), message });
  const draft = normalise(parsed.data, problem);
  if (problems.length > 0) throw new PlanFileError(problems);
  return draft;
}

function normalise(plan: PlanFile, problem: (path: Path, message: string) => void): PlanDraft {
  const warnings: string[] = [];
  const period = plan.period;

  const organisations = new Map<string, Path>();
  plan.organisations.forEach((organisation, index) => {
    const path: Path = ['organisations', index, 'name'];
    const first = organisations.get(organisation.name);
    if (first) problem(path, `duplicate organisation "${organisation.name}" (first at ${formatPath(first)})`);
    else organisations.set(organisation.name, path);
  });

  const priorityNames = new Map<string, Path>();
  const goalNumbers = new Map<number, Path>();
  const codes = new Map<string, Path>();
  const contributionKeys = new Map<string, Path>();
  const milestoneKeys = new Map<string, Path>();

  const unique = <K>(seen: Map<K, Path>, value: K, path: Path, what: string) => {
    const first = seen.get(value);
    if (first) problem(path, `duplicate ${what} "${String(value)}" (first at ${formatPath(first)})`);
    else seen.set(value, path);
  };

  const contributions = (entries: ContributionEntry[], scope: string, base: Path): ContributionDraft[] => {
    const occurrences = new Map<string, number>();
    return entries.map((entry, index) => {
      const path = [...base, index];
      if (!organisations.has(entry.organisation)) {
        problem([...path, 'organisation'], `unknown organisation "${entry.organisation}": add it to organisations or correct the name`);
      }
      const key = entry.key ?? numbered(`${scope}/${entry.organisation}`, occurrences);
      unique(contributionKeys, key, [...path, 'key'], 'contribution key');

      const labels = new Map<string, number>();
      const milestones = entry.milestones.map((milestone, position): MilestoneDraft => {
        const at = [...path, 'milestones', position];
        const fromLabel = readDueLabel(milestone.label, period);
        const dueFrom = milestone.dueFrom === undefined ? fromLabel.dueFrom : milestone.dueFrom;
        const dueTo =
          milestone.dueTo === undefined ? (milestone.dueFrom === undefined ? fromLabel.dueTo : milestone.dueFrom) : milestone.dueTo;
        for (const [field, value] of [
          ['dueFrom', dueFrom],
          ['dueTo', dueTo],
        ] as const) {
          if (value !== null && (value < period.from || value > period.to)) {
            problem([...at, field], `due year ${value} is outside the plan period ${period.from}-${period.to}`);
          }
        }
        if (dueFrom !== null && dueTo !== null && dueFrom > dueTo)
          problem([...at, 'dueTo'], `due-to year ${dueTo} is before due-from year ${dueFrom}`);
        if ((dueFrom === null) !== (dueTo === null)) problem([...at, 'dueTo'], 'give both dueFrom and dueTo, or neither');
        const milestoneKey = milestone.key ?? numbered(`${key}/${milestone.label ?? 'unlabelled'}`, labels);
        unique(milestoneKeys, milestoneKey, [...at, 'key'], 'milestone key');
        return {
          key: milestoneKey,
          label: milestone.label,
          kind: milestone.kind ?? fromLabel.kind,
          dueFrom,
          dueTo,
          dueMonth: milestone.dueMonth ?? null,
          text: milestone.text,
          state: milestone.state ?? null,
          progress: milestone.progress ?? null,
          notes: milestone.notes,
        };
      });

      return {
        key,
        organisation: entry.organisation,
        summary: entry.summary,
        text: entry.text,
        budget: entry.budget ?? null,
        notes: entry.notes,
        milestones,
      };
    });
  };

  const priorities = plan.priorities.map((priority, p): PriorityDraft => {
    unique(priorityNames, priority.name, ['priorities', p, 'name'], 'priority');
    return {
      name: priority.name,
      notes: priority.notes,
      goals: priority.goals.map((goal, g): GoalDraft => {
        const base: Path = ['priorities', p, 'goals', g];
        unique(goalNumbers, goal.number, [...base, 'number'], 'goal number');
        if (goal.budget) {
          const partners = new Map<string, Path>();
          goal.budget.lines.forEach((line, l) =>
            unique(partners, line.partner, [...base, 'budget', 'lines', l, 'partner'], 'budget partner'),
          );
          const sum = goal.budget.lines.reduce((total, line) => total + line.amount, 0);
          if (goal.budget.total != null && goal.budget.total !== sum) {
            warnings.push(`Goal ${goal.number}: budget total ${goal.budget.total} differs from the sum of its lines (${sum}).`);
          }
        }
        const criterionKeys = new Map<string, Path>();
        const criteria = (goal.criteria ?? goal.attainmentCriteria.map((text, c) => ({ key: String(c + 1), text, source: c + 1 }))).map(
          (criterion, c) => {
            unique(criterionKeys, criterion.key, [...base, 'criteria', c, 'key'], 'criterion key');
            if (criterion.source > goal.attainmentCriteria.length) {
              problem(
                [...base, 'criteria', c, 'source'],
                `there is no attainment criterion ${criterion.source} (the goal lists ${goal.attainmentCriteria.length})`,
              );
            }
            return criterion;
          },
        );
        return {
          number: goal.number,
          title: goal.title,
          attainmentCriteria: goal.attainmentCriteria,
          criteria,
          budget: goal.budget ? { currency: goal.budget.currency, lines: goal.budget.lines, total: goal.budget.total ?? null } : null,
          notes: goal.notes,
          contributions: contributions(goal.contributions, `goal-${goal.number}`, [...base, 'contributions']),
          interventions: goal.interventions.map((intervention, i): InterventionDraft => {
            const at: Path = [...base, 'interventions', i];
            unique(codes, intervention.code, [...at, 'code'], 'intervention code');
            return {
              code: intervention.code,
              title: intervention.title,
              partners: intervention.partners,
              notes: intervention.notes,
              contributions: contributions(intervention.contributions, intervention.code, [...at, 'contributions']),
            };
          }),
        };
      }),
    };
  });

  return {
    slug: plan.slug ?? slugify(plan.title),
    title: plan.title,
    period,
    currency: plan.currency,
    source: plan.source ?? null,
    notes: plan.notes,
    organisations: plan.organisations.map(({ contacts, contactsArePlaceholders, ...organisation }) => ({
      ...organisation,
      contacts: contacts.map((contact) =>
        typeof contact === 'string'
          ? { email: contact.toLowerCase(), name: null, placeholder: contactsArePlaceholders }
          : { email: contact.email.toLowerCase(), name: contact.name ?? null, placeholder: contact.placeholder || contactsArePlaceholders },
      ),
    })),
    priorities,
    warnings,
  };
}

/** "G.1.a/Kvarkenrådet", then "G.1.a/Kvarkenrådet#2" for the second one with the same name. */
function numbered(base: string, seen: Map<string, number>): string {
  const count = (seen.get(base) ?? 0) + 1;
  seen.set(base, count);
  return count === 1 ? base : `${base}#${count}`;
}

export function slugify(title: string): string {
  return (
    title
      .normalize('NFKD')
      .replace(/[æÆ]/g, 'ae')
      .replace(/[øØ]/g, 'o')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60)
      .replace(/-$/, '') || 'plan'
  );
}

function formatPath(path: Path): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined
      ? `is required (expected ${issue.expected})`
      : `expected ${issue.expected}, got ${typeName(issue.input)}`;
  }
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Line and column of the deepest node of `path` that exists in the document. */
function locate(document: Document, lineCounter: LineCounter, path: Path): { line?: number; column?: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = document.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      const { line, col } = lineCounter.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return {};
}
