import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import dcmjs from 'dcmjs';
import { DicomError } from '../../../extension/src/dicom/errors.ts';
import { gridToBoxed, type BoxedBytes } from '../../../extension/src/engine/boxed.ts';
import { readSegmentation } from '../../../extension/src/dicom/seg-read.ts';
import { writeSegmentation, type SegmentInput } from '../../../extension/src/dicom/seg-write.ts';
import { planSeries, type SeriesPlan } from '../../../extension/src/dicom/series-geometry.ts';
import { sliceHeaderFromDataset } from '../../../extension/src/dicom/slice-header.ts';
import { dciodvfy, NO_REAL_DATA, REAL_RAW, readFolder, syntheticSeries } from './fixtures.ts';

const LIVER = {
  category: { scheme: 'SCT', value: '123037004', meaning: 'Anatomical Structure' },
  type: { scheme: 'SCT', value: '10200004', meaning: 'Liver' },
  colour: [221, 130, 101] as [number, number, number],
};
const TUMOUR = {
  category: { scheme: 'SCT', value: '49755003', meaning: 'Morphologically Altered Structure' },
  type: { scheme: 'SCT', value: '108369006', meaning: 'Neoplasm' },
  region: { scheme: 'SCT', value: '10200004', meaning: 'Liver' },
  colour: [255, 255, 0] as [number, number, number],
};
const SPLEEN = {
  category: LIVER.category,
  type: { scheme: 'SCT', value: '78961009', meaning: 'Spleen' },
  colour: [157, 108, 162] as [number, number, number],
};
const ALGORITHM = { id: 'contseg-test-model', version: '1.2.0' };

/** A mask of the voxels within `radius` (in voxels) of a centre, on the plan's grid. */
function ball(plan: SeriesPlan, centre: [number, number, number], radius: number): Uint8Array {
  const [x, y, z] = plan.dims;
  const mask = new Uint8Array(x * y * z);
  for (let k = 0; k < z; k++)
    for (let j = 0; j < y; j++)
      for (let i = 0; i < x; i++) {
        if ((i - centre[0]) ** 2 + (j - centre[1]) ** 2 + (k - centre[2]) ** 2 <= radius ** 2)
          mask[i + x * (j + y * k)] = 1;
      }
  return mask;
}

/** `mask` (on the plan's grid) as the writer takes it: the box of its voxels. */
const boxed = (plan: SeriesPlan, mask: Uint8Array): BoxedBytes => gridToBoxed(mask, plan.dims);

function sameMask(a: Uint8Array, b: Uint8Array): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} vs ${b.length}`;
  for (let n = 0; n < a.length; n++)
    if ((a[n] !== 0) !== (b[n] !== 0)) return `voxel ${n}: ${a[n]} vs ${b[n]}`;
  return undefined;
}

function roundTrip(plan: SeriesPlan, segments: SegmentInput[]) {
  const seg = writeSegmentation({
    plan,
    segments,
    algorithm: ALGORITHM,
    now: new Date('2026-11-26T12:00:00Z'),
  });
  const back = readSegmentation(seg.bytes, plan);
  return { seg, back };
}

describe('DICOM SEG from a synthetic series', () => {
  const plan = planSeries(
    syntheticSeries({ columns: 20, rows: 18, slices: 9 }).map((ds) => sliceHeaderFromDataset(ds)),
  );
  const liver = ball(plan, [8, 8, 4], 4);
  const tumour = ball(plan, [9, 8, 4], 1.5);
  const segments: SegmentInput[] = [
    { label: 'liver', ...LIVER, mask: boxed(plan, liver) },
    { label: 'liver tumour', ...TUMOUR, mask: boxed(plan, tumour) },
    { label: 'spleen', ...SPLEEN, mask: boxed(plan, new Uint8Array(liver.length)) },
  ];

  test('dciodvfy finds no errors or warnings; masks, codes, colours and algorithm read back voxel for voxel', async () => {
    const { seg, back } = roundTrip(plan, segments);
    const report = await dciodvfy(seg.bytes);
    assert.deepEqual(report.errors, [], report.errors.join('\n'));
    assert.deepEqual(report.warnings, [], report.warnings.join('\n'));
    assert.deepEqual(seg.empty, ['spleen']);
    assert.equal(back.segmentsOverlap, 'YES');
    assert.equal(back.segments.length, 2);
    const [l, t] = back.segments;
    assert.equal(l?.label, 'liver');
    assert.equal(sameMask(l?.mask as Uint8Array, liver), undefined);
    assert.equal(sameMask(t?.mask as Uint8Array, tumour), undefined);
    assert.deepEqual(l?.type, LIVER.type);
    assert.deepEqual(l?.category, LIVER.category);
    assert.deepEqual(t?.region, TUMOUR.region);
    assert.deepEqual(l?.colour, LIVER.colour);
    assert.equal(l?.algorithmType, 'AUTOMATIC');
    assert.equal(l?.algorithmName, 'contseg-test-model 1.2.0');
  });

  test('only frames containing a segment are written, each referencing its source slice', () => {
    const { seg, back } = roundTrip(plan, segments);
    // liver: radius 4 around k=4 covers k 0..8 (9 slices); tumour radius 1.5 covers k 3..5.
    assert.deepEqual(
      seg.written.map((w) => [w.label, w.frames]),
      [
        ['liver', 9],
        ['liver tumour', 3],
      ],
    );
    const frames = back.dataset.PerFrameFunctionalGroupsSequence as Record<string, unknown>[];
    assert.equal(frames.length, 12);
    const refs = frames.map((f) => {
      const derivation = (f.DerivationImageSequence as Record<string, unknown>[])[0] as Record<
        string,
        unknown
      >;
      return ((derivation.SourceImageSequence as Record<string, unknown>[])[0] as Record<string, unknown>)
        .ReferencedSOPInstanceUID;
    });
    assert.equal(refs[9], plan.slices[3]?.sopInstanceUID);
    assert.equal(back.dataset.FrameOfReferenceUID, plan.frameOfReferenceUID);
    assert.equal(back.dataset.SeriesDescription, 'AI segmentation (contseg-test-model 1.2.0)');
  });

  test('the frames and pixels, encoded without dcmjs, follow dcmjs: dcmjs reads the SEG and writes back the same bytes', () => {
    const { seg } = roundTrip(plan, segments);
    // Through dcmjs's naturalized form, so each element is re-encoded from the dictionary's VR and padding rules.
    const file = dcmjs.data.DicomMessage.readFile(seg.bytes);
    const rewritten = new dcmjs.data.DicomDict(file.meta);
    const { naturalizeDataset, denaturalizeDataset } = dcmjs.data.DicomMetaDictionary;
    rewritten.dict = denaturalizeDataset(naturalizeDataset(file.dict));
    const again = new Uint8Array(rewritten.write());
    assert.equal(Buffer.compare(Buffer.from(again), Buffer.from(seg.bytes)), 0);
  });

  test('a source slice whose UID DICOM text cannot hold is refused, naming the element', () => {
    const [first, ...rest] = plan.slices;
    const odd = { ...plan, slices: [{ ...first, sopInstanceUID: '1.2.3\u00e9' }, ...rest] } as SeriesPlan;
    assert.throws(
      () => writeSegmentation({ plan: odd, segments, algorithm: ALGORITHM }),
      (err: unknown) =>
        err instanceof DicomError &&
        err.code === 'bad-attribute' &&
        /\(0008,1155\) UI .*not printable ASCII/.test(err.message),
    );
  });

  test('disjoint masks give Segments Overlap NO', () => {
    const { back } = roundTrip(plan, [
      { label: 'liver', ...LIVER, mask: boxed(plan, ball(plan, [4, 4, 4], 2)) },
      { label: 'spleen', ...SPLEEN, mask: boxed(plan, ball(plan, [14, 12, 4], 2)) },
    ]);
    assert.equal(back.segmentsOverlap, 'NO');
  });

  test('masks are read within their boxes: a loose box (zeros around the structure) writes the same frames, and boxes that meet without a shared voxel do not overlap', () => {
    const [x, y, z] = plan.dims;
    const loose: BoxedBytes = { box: { lo: [0, 0, 0], hi: [x, y, z] }, data: liver };
    const tight = roundTrip(plan, [{ label: 'liver', ...LIVER, mask: boxed(plan, liver) }]);
    const wide = roundTrip(plan, [{ label: 'liver', ...LIVER, mask: loose }]);
    assert.deepEqual(wide.seg.written, tight.seg.written);
    assert.equal(sameMask(wide.back.segments[0]?.mask as Uint8Array, liver), undefined);
    // Two corners of one slab: their boxes (the whole slab) meet, their voxels do not.
    const corners = [0, x - 1].map((i) => {
      const mask = new Uint8Array(x * y * z);
      mask[i + x * y * 4] = 1;
      return {
        box: { lo: [0, 0, 4], hi: [x, 1, 5] },
        data: mask.subarray(x * y * 4, x * y * 4 + x),
      } as BoxedBytes;
    });
    const { back } = roundTrip(plan, [
      { label: 'liver', ...LIVER, mask: corners[0] as BoxedBytes },
      { label: 'spleen', ...SPLEEN, mask: corners[1] as BoxedBytes },
    ]);
    assert.equal(back.segmentsOverlap, 'NO');
    assert.equal(back.segments[1]?.mask[x - 1 + x * y * 4], 1);
  });

  test('refuses a mask whose bytes do not fill its box, a box outside the grid, and a SEG where every mask is empty', () => {
    const refuses = (code: string, pattern: RegExp, segs: SegmentInput[]) =>
      assert.throws(
        () => writeSegmentation({ plan, segments: segs, algorithm: ALGORITHM }),
        (err: unknown) => err instanceof DicomError && err.code === code && pattern.test(err.message),
      );
    refuses('bad-mask', /mask of "liver": 10 bytes for a box of 2 x 2 x 2 voxels/, [
      { label: 'liver', ...LIVER, mask: { box: { lo: [0, 0, 0], hi: [2, 2, 2] }, data: new Uint8Array(10) } },
    ]);
    refuses('bad-mask', /mask of "liver": box \[0,0,8\]\.\.\[2,2,10\] does not lie in the grid 20 x 18 x 9/, [
      { label: 'liver', ...LIVER, mask: { box: { lo: [0, 0, 8], hi: [2, 2, 10] }, data: new Uint8Array(8) } },
    ]);
    refuses('bad-mask', /every segment is empty \(spleen\)/, [
      { label: 'spleen', ...SPLEEN, mask: boxed(plan, new Uint8Array(liver.length)) },
    ]);
  });
});

describe('DICOM SEG on the real 20-slice CT series', { skip: NO_REAL_DATA }, () => {
  test('dciodvfy finds no errors and the masks read back voxel for voxel', async () => {
    const plan = planSeries((await readFolder(REAL_RAW)).map((f) => f.image.header));
    const liver = ball(plan, [300, 200, 10], 60);
    const tumour = ball(plan, [310, 210, 9], 12);
    const { seg, back } = roundTrip(plan, [
      { label: 'liver', ...LIVER, mask: boxed(plan, liver) },
      { label: 'liver tumour', ...TUMOUR, mask: boxed(plan, tumour) },
    ]);
    const report = await dciodvfy(seg.bytes);
    assert.deepEqual(report.errors, [], report.errors.join('\n'));
    assert.equal(back.dataset.PatientID, 'TSEXAMPLE001');
    assert.equal(back.dataset.StudyInstanceUID, plan.studyInstanceUID);
    assert.equal(sameMask(back.segments[0]?.mask as Uint8Array, liver), undefined);
    assert.equal(sameMask(back.segments[1]?.mask as Uint8Array, tumour), undefined);
  });
});
