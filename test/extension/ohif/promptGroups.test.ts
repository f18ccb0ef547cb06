// The panel's grouping of the real catalogue's classes: the catalogue's four groups in order, with readable headings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { groupPrompts } from '../../../extension/src/ohif/utils/promptGroups.ts';

const catalogue = JSON.parse(
  readFileSync(new URL('../../../models/contseg/catalogue.json', import.meta.url), 'utf8'),
) as { classes: { name: string; group: string }[] };

test('groups the catalogue into Organs, GI tract, Vessels, Tumours, every class once in catalogue order', () => {
  const groups = groupPrompts(catalogue.classes);
  assert.deepEqual(
    groups.map((g) => g.label),
    ['Organs', 'GI tract', 'Vessels', 'Tumours'],
  );
  assert.deepEqual(
    groups.flatMap((g) => g.classes.map((c) => c.name)).sort(),
    catalogue.classes.map((c) => c.name).sort(),
  );
  assert.deepEqual(
    groups.find((g) => g.key === 'tumours')?.classes.map((c) => c.name),
    ['liver tumour'],
  );
});

test('classes without a group go under "Other", unknown groups get a capitalised heading', () => {
  const groups = groupPrompts([{ name: 'a' }, { name: 'b', group: 'bones' }, { name: 'c' }]);
  assert.deepEqual(
    groups.map((g) => [g.label, g.classes.map((c) => c.name)]),
    [
      ['Other', ['a', 'c']],
      ['Bones', ['b']],
    ],
  );
});
