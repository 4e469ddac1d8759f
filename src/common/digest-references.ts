/**
 * A reference for every milestone of a digest that no other milestone of the same digest has, so
 * a committee can always answer by it: the plan's label when only one milestone carries it
 * ("MP2022"), the label with a letter when several do ("MP2023-a", "MP2023-b", in the digest's
 * order, written without spaces), and the milestone's number when it has no label. The digest shows it and the reply
 * reader accepts it; both compute it from the request's whole list of milestones, so a reminder
 * that lists fewer milestones still shows the same references.
 */
export interface ReferencedMilestone {
  number: number;
  label: string | null;
}

/** "MP 2022" and "mp2022" are the same label; so are "D:" and "D" (the colon is punctuation). */
export function labelKey(label: string): string {
  return label.toLowerCase().replace(/\s+/g, '').replace(/:+$/, '');
}

/** The label as the digest shows it in a reference: trimmed, without a closing colon. */
function labelShown(label: string): string {
  return label.trim().replace(/\s*:+$/, '');
}

export function digestReferences(milestones: readonly ReferencedMilestone[]): Map<number, string> {
  const byKey = new Map<string, ReferencedMilestone[]>();
  for (const milestone of milestones) {
    const key = milestone.label === null ? '' : labelKey(milestone.label);
    if (key === '') continue;
    byKey.set(key, [...(byKey.get(key) ?? []), milestone]);
  }
  const taken = new Set(byKey.keys());
  const references = new Map<number, string>();
  for (const milestone of milestones) {
    const key = milestone.label === null ? '' : labelKey(milestone.label);
    if (key === '') references.set(milestone.number, String(milestone.number));
    else if (byKey.get(key)!.length === 1) references.set(milestone.number, labelShown(milestone.label!));
  }
  for (const carriers of byKey.values()) {
    if (carriers.length === 1) continue;
    let letter = 0;
    for (const carrier of [...carriers].sort((a, b) => a.number - b.number)) {
      let reference: string;
      // A label of the plan could itself end in "-a"; skip a letter that would repeat one.
      do reference = `${labelShown(carrier.label!).replace(/\s+/g, '')}-${suffix(letter++)}`;
      while (taken.has(labelKey(reference)));
      taken.add(labelKey(reference));
      references.set(carrier.number, reference);
    }
  }
  return references;
}

/** a, b, …, z, aa, ab, … */
function suffix(index: number): string {
  let text = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) text = String.fromCharCode(97 + ((n - 1) % 26)) + text;
  return text;
}
