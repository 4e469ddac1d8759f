/**
 * What a milestone label says about when it is due.
 *
 * The plan writes due dates into the label: M2021, MP2022, M21 (a year), M23/24, M2021/2024 and
 * M2021-2024 (a span), D2024 or a bare D (a deliverable, due by the end of the plan). "M 5" and
 * "M12" count months of a project, not years: they carry no due year. A two-digit number is a
 * year only when it falls inside the plan period, so M21 is 2021 in a 2021-24 plan while M12 is
 * month twelve.
 */
export interface DueYears {
  kind: 'milestone' | 'deliverable';
  dueFrom: number | null;
  dueTo: number | null;
}

export interface Period {
  from: number;
  to: number;
}

const LABEL = /^(MP|M|D)\s*:?\s*(\d{1,4})?\s*(?:[/-]\s*(\d{2,4}))?\s*:?$/i;

export function readDueLabel(label: string | null, period: Period): DueYears {
  if (label === null) return { kind: 'milestone', dueFrom: null, dueTo: null };
  const match = LABEL.exec(label.trim());
  const kind = /^D/i.test(label.trim()) ? 'deliverable' : 'milestone';
  if (!match) return { kind, dueFrom: null, dueTo: null };
  const [, , first, second] = match;
  if (first === undefined) {
    // A bare "D:" is due by the end of the plan; a bare "M" says nothing.
    return kind === 'deliverable' ? { kind, dueFrom: period.to, dueTo: period.to } : { kind, dueFrom: null, dueTo: null };
  }
  const from = toYear(first, period);
  if (from === null) return { kind, dueFrom: null, dueTo: null };
  const to = second === undefined ? from : toYear(second, period);
  return { kind, dueFrom: from, dueTo: to ?? from };
}

function toYear(digits: string, period: Period): number | null {
  if (digits.length === 4) return Number(digits);
  if (digits.length === 2) {
    const century = Math.floor(period.from / 100) * 100;
    const year = century + Number(digits);
    return year >= period.from && year <= period.to ? year : null;
  }
  return null;
}
