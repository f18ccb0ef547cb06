import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DicomError } from '../../../extension/src/dicom/errors.ts';
import { segmentCodes } from '../../../extension/src/dicom/seg-codes.ts';
import { gridToBoxed } from '../../../extension/src/engine/boxed.ts';
import { readSegmentation } from '../../../extension/src/dicom/seg-read.ts';
import { writeSegmentation } from '../../../extension/src/dicom/seg-write.ts';
import { planSeries } from '../../../extension/src/dicom/series-geometry.ts';
import { sliceHeaderFromDataset } from '../../../extension/src/dicom/slice-header.ts';
import { dciodvfy, syntheticSeries } from './fixtures.ts';

const catalogueFile = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../models/contseg/catalogue.json',
);

interface Catalogue {
  categories: Record<string, unknown>;
  classes: ({ name: string } & Record<string, unknown>)[];
}

test('every catalogue class becomes a segment: one SEG with all of them passes dciodvfy and keeps its codes', async () => {
  const catalogue = JSON.parse(await readFile(catalogueFile, 'utf8')) as Catalogue;
  const plan = planSeries(
    syntheticSeries({ columns: 8, rows: 8, slices: catalogue.classes.length }).map((ds) =>
      sliceHeaderFromDataset(ds),
    ),
  );
  const sliceSize = 64;
  const segments = catalogue.classes.map((entry, k) => {
    const mask = new Uint8Array(sliceSize * catalogue.classes.length);
    mask.fill(1, k * sliceSize + 10, k * sliceSize + 30); // class k on slice k
    return {
      label: entry.name,
      ...segmentCodes(entry, catalogue.categories),
      mask: gridToBoxed(mask, plan.dims),
    };
  });
  const seg = writeSegmentation({ plan, segments, algorithm: { id: 'catalogue', version: '1.0.0' } });
  const report = await dciodvfy(seg.bytes);
  assert.deepEqual(report.errors, [], report.errors.join('\n'));
  assert.deepEqual(report.warnings, [], report.warnings.join('\n'));
  const back = readSegmentation(seg.bytes, plan);
  assert.equal(back.segmentsOverlap, 'NO');
  const tumour = back.segments.find((s) => s.label === 'liver tumour');
  assert.deepEqual(tumour?.category, {
    scheme: 'SCT',
    value: '49755003',
    meaning: 'Morphologically Altered Structure',
  });
  assert.deepEqual(tumour?.region, { scheme: 'SCT', value: '10200004', meaning: 'Liver' });
  assert.deepEqual(
    back.segments.map((s) => s.type?.scheme),
    catalogue.classes.map(() => 'SCT'),
  );
});

test('inline category codes are accepted; a class without a type code or colour is refused by name', () => {
  const category = { scheme: 'SCT', value: '123037004', meaning: 'Anatomical Structure' };
  const type = { scheme: 'SCT', value: '78961009', meaning: 'Spleen' };
  assert.deepEqual(segmentCodes({ name: 'spleen', category, type, colour: [1, 2, 3] }), {
    category,
    type,
    colour: [1, 2, 3],
  });
  assert.throws(
    () => segmentCodes({ name: 'spleen', category, colour: [1, 2, 3] }),
    (err: unknown) =>
      err instanceof DicomError && /class "spleen" has no SNOMED CT type code/.test(err.message),
  );
  assert.throws(
    () => segmentCodes({ name: 'spleen', category, type, colour: [1, 2] }),
    (err: unknown) => err instanceof DicomError && /class "spleen" has no RGB colour/.test(err.message),
  );
});
