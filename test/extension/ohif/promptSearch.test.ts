// The panel's prompt search over the real class catalogue: which classes a typed query (name, synonym, SNOMED CT
// code) finds, and in what order.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { searchPrompts } from '../../../extension/src/ohif/utils/promptSearch.ts';

interface CatalogueCode {
  value: string;
  meaning: string;
}
interface CatalogueClass {
  name: string;
  synonyms: string[];
  type: CatalogueCode;
  region?: CatalogueCode;
}

const catalogue = JSON.parse(
  readFileSync(new URL('../../../models/contseg/catalogue.json', import.meta.url), 'utf8'),
) as { classes: CatalogueClass[] };
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

describe('SNOMED CT codes', () => {
  const coded = catalogue.classes.map((c) => ({
    ...c,
    codes: [
      { role: 'type' as const, ...c.type },
      ...(c.region ? [{ role: 'region' as const, ...c.region }] : []),
    ],
  }));
  const search = (query: string) =>
    searchPrompts(query, coded).map((m) => [m.cls.name, m.viaCode ?? m.viaSynonym ?? '']);

  test('a type code finds its class first, then the tumours that lie in it (their region code)', () => {
    assert.deepEqual(search('10200004'), [
      ['liver', 'SCT 10200004 Liver'],
      ['liver tumour', 'SCT 10200004 Liver'],
    ]);
    assert.deepEqual(search('64131007'), [['inferior vena cava', 'SCT 64131007 Inferior vena cava']]);
    assert.deepEqual(search('108369006'), [['liver tumour', 'SCT 108369006 Neoplasm']]);
  });

  test('the code may be written with its scheme ("SCT:", "sct ") and surrounding spaces', () => {
    for (const query of ['SCT:78961009', 'sct 78961009', '  78961009 ']) {
      assert.deepEqual(search(query), [['spleen', 'SCT 78961009 Spleen']], query);
    }
  });

  test('a code prefix finds the classes whose codes start with it; exact codes rank before prefixes', () => {
    // 15825003 aorta and 15776009 pancreas both start with 15; a class with the exact code 15 would come first.
    assert.deepEqual(
      search('15').map(([name]) => name),
      ['aorta', 'pancreas'],
    );
    assert.deepEqual(search('999999999'), []);
  });

  test('classes without codes are simply not found by a code; names with digits are not mistaken for codes', () => {
    assert.deepEqual(
      searchPrompts('10200004', classes).map((m) => m.cls.name),
      [],
    );
    assert.deepEqual(names('liver 2'), []);
  });
});
