// The panel's prompt search over the real class catalogue: which classes a typed query finds, and in what order.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { searchPrompts } from '../../../extension/src/ohif/utils/promptSearch.ts';

const catalogue = JSON.parse(
  readFileSync(new URL('../../../models/contseg/catalogue.json', import.meta.url), 'utf8'),
) as { classes: { name: string; synonyms: string[] }[] };
const classes = catalogue.classes;
const names = (query: string) => searchPrompts(query, classes).map((m) => m.cls.name);

test('an empty or blank query lists every class in catalogue order', () => {
  assert.deepEqual(
    names(''),
    classes.map((c) => c.name),
  );
  assert.deepEqual(
    names('   '),
    classes.map((c) => c.name),
  );
});

test('a synonym finds its class and says which synonym matched', () => {
  const [match, ...rest] = searchPrompts('ivc', classes);
  assert.equal(rest.length, 0);
  assert.equal(match?.cls.name, 'inferior vena cava');
  assert.equal(match?.viaSynonym, 'IVC');
  assert.deepEqual(names('hepatic'), ['liver tumour']);
});

test('names that start with the query come first, then word starts, then synonyms, in catalogue order', () => {
  assert.deepEqual(names('liver'), ['liver', 'liver tumour']);
  assert.deepEqual(names('kidney'), ['right kidney', 'left kidney']);
  assert.deepEqual(names('vein'), ['portal and splenic vein']);
  // the small bowel has the synonym "intestine" itself, the colon only "large intestine"
  assert.deepEqual(names('intestine'), ['small bowel', 'colon']);
});

test('every word of a query must match, in any case and spacing', () => {
  assert.deepEqual(names('LEFT   kid'), ['left kidney']);
  assert.deepEqual(names('adrenal right'), ['right adrenal gland']);
  assert.deepEqual(names('femur'), []);
});
