// The model's classes grouped as the catalogue groups them (organs, GI tract, vessels, tumours), for the panel's
// list with one "select all" per group.

export interface Groupable {
  name: string;
  group?: string;
}

export interface PromptGroup<C extends Groupable> {
  /** The manifest's group key ('' for classes without one). */
  key: string;
  /** Heading shown to the user. */
  label: string;
  classes: C[];
}

const LABELS: Record<string, string> = {
  organs: 'Organs',
  'gi tract': 'GI tract',
  vessels: 'Vessels',
  tumours: 'Tumours',
  '': 'Other',
};

const labelOf = (key: string) => LABELS[key] ?? key.charAt(0).toUpperCase() + key.slice(1);

/** Groups in the order their first class appears in the manifest; classes keep manifest order within a group. */
export function groupPrompts<C extends Groupable>(classes: readonly C[]): PromptGroup<C>[] {
  const groups = new Map<string, PromptGroup<C>>();
  for (const cls of classes) {
    const key = cls.group ?? '';
    let group = groups.get(key);
    if (!group) {
      group = { key, label: labelOf(key), classes: [] };
      groups.set(key, group);
    }
    group.classes.push(cls);
  }
  return [...groups.values()];
}
