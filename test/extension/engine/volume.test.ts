import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveClassNames, suggestClassNames } from '../../../extension/src/engine/class-names.ts';
import { EngineError } from '../../../extension/src/engine/errors.ts';
import { MAX_VOXELS, validateVolume, type Volume } from '../../../extension/src/engine/volume.ts';

const good = (): Volume => ({
  // Air and soft tissue, as in any CT.
  voxels: Int16Array.from({ length: 4 * 3 * 2 }, (_, n) => (n % 2 ? -1000 : 40)),
  dims: [4, 3, 2],
  spacing: [0.8, 0.8, 2.5],
  origin: [0, 0, 0],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  modality: 'CT',
});

const rejects = (volume: Volume, code: string, message: RegExp) =>
  assert.throws(
    () => validateVolume(volume),
    (e: unknown) => e instanceof EngineError && e.code === code && message.test(e.message),
  );

const known = [
  { name: 'liver', synonyms: ['hepar'] },
  { name: 'liver tumour', synonyms: ['liver tumor', 'liver lesion'] },
  { name: 'inferior vena cava', synonyms: ['IVC', 'postcava'] },
  { name: 'left kidney', synonyms: ['kidney left'] },
  { name: 'right kidney', synonyms: ['kidney right'] },
];

test('a well-formed CT volume passes validation', () => validateVolume(good()));

test('a non-CT series is refused, naming its modality', () =>
  rejects({ ...good(), modality: 'MR' }, 'not-ct', /"MR"/));

test('a volume tagged CT whose intensities are not Hounsfield units (an MR, a normalised image) is refused with its range', () => {
  // T1 MR magnitudes: no air below -500 HU.
  const mr = Int16Array.from({ length: 24 }, (_, n) => 20 * n);
  rejects({ ...good(), voxels: mr }, 'not-ct', /intensities 0\.\.460 do not look like CT.*is this an MR/);
  // An image windowed to [0, 1] as float.
  const normalised = Float32Array.from({ length: 24 }, (_, n) => n / 23);
  rejects({ ...good(), voxels: normalised }, 'not-ct', /intensities 0\.\.1 do not look like CT/);
  // Only negative values (e.g. an inverted image): nothing at or above 0 HU.
  rejects({ ...good(), voxels: new Int16Array(24).fill(-2000) }, 'not-ct', /-2000\.\.-2000/);
  // At the boundary: air exactly at -500 HU and tissue at 0 HU is accepted, like contseg.data.check_ct.
  validateVolume({ ...good(), voxels: Int16Array.from({ length: 24 }, (_, n) => (n ? 0 : -500)) });
});

test('NaN or Infinity voxels are refused with the voxel position', () => {
  const voxels = new Float32Array(24);
  voxels[4 + 1] = NaN;
  rejects({ ...good(), voxels }, 'non-finite-voxel', /voxel \(1, 1, 0\) is NaN/);
  voxels[5] = 0;
  voxels[23] = Infinity;
  rejects({ ...good(), voxels }, 'non-finite-voxel', /\(3, 2, 1\) is Infinity/);
});

test('a sheared (gantry-tilt) or non-unit direction matrix is refused', () => {
  const tilt = (15 * Math.PI) / 180;
  // k axis tilted in y-z while i and j stay axial: not orthogonal to j.
  rejects(
    { ...good(), direction: [1, 0, 0, 0, 1, Math.sin(tilt), 0, 0, Math.cos(tilt)] },
    'bad-direction',
    /75\.00 degrees.*sheared/,
  );
  rejects(
    { ...good(), direction: [2, 0, 0, 0, 1, 0, 0, 0, 1] },
    'bad-direction',
    /column 0 .* not a unit vector/,
  );
  rejects({ ...good(), direction: [1, 0, 0, 0, 1, 0, 0, 0] }, 'bad-direction', /9 finite numbers/);
});

test('dims that do not match the voxel count are refused, stating both', () => {
  rejects({ ...good(), dims: [4, 3, 3] }, 'bad-dims', /need 36 voxels but the voxel array holds 24/);
  rejects({ ...good(), dims: [4, 0, 2] }, 'bad-dims', /three positive integers/);
});

test('non-positive spacing is refused', () =>
  rejects({ ...good(), spacing: [0.8, 0, 2.5] }, 'bad-spacing', /positive/));

test('a volume over the voxel limit is refused before its voxels are read, stating the limit', () => {
  rejects({ ...good(), dims: [512, 512, 1025] }, 'too-big', new RegExp(`limit is ${MAX_VOXELS}`));
});

test('an empty class list is refused', () =>
  assert.throws(
    () => resolveClassNames([], known),
    (e: unknown) => e instanceof EngineError && e.code === 'no-classes',
  ));

test('class prompts resolve by name or synonym, any case, without duplicates', () => {
  assert.deepEqual(resolveClassNames(['Liver', 'IVC', 'liver tumor', 'hepar'], known), [
    'liver',
    'inferior vena cava',
    'liver tumour',
  ]);
});

test('an unknown class name is refused with the nearest known names as suggestions', () => {
  assert.throws(
    () => resolveClassNames(['livr'], known),
    (e: unknown) =>
      e instanceof EngineError &&
      e.code === 'unknown-class' &&
      /"livr".*did you mean "liver"/.test(e.message),
  );
  assert.deepEqual(suggestClassNames('kidney', known), ['left kidney', 'right kidney']);
  assert.deepEqual(suggestClassNames('vena cava inferior', known), []);
  assert.throws(() => resolveClassNames(['pancreas'], known), /it knows: liver, liver tumour/);
});
