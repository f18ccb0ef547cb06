// The confidence view's bands, from the engine's real probability maps: the tiny test model's liver and tumour
// logits are 10 * (windowed HU - 0.6 / 0.8), so on the phantom every voxel's probability, and so its band, is known.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { boxedToGrid, type BoxedBytes } from '../../../extension/src/engine/boxed.ts';
import { loadModel, type Model } from '../../../extension/src/engine/model.ts';
import { classConfidence } from '../../../extension/src/ohif/utils/confidence.ts';
import { serveDirectory, type ModelServer } from '../engine/model-server.ts';
import { phantomVolume } from '../engine/phantom-volume.ts';
import { pythonFixture } from '../engine/python-fixture.ts';

let server: ModelServer;
let model: Model;

before(async () => {
  server = await serveDirectory(pythonFixture('tiny_model.py'));
  model = await loadModel(`${server.url}manifest.json`, { cache: null, runtime: { numThreads: 1 } });
});
after(async () => {
  await model.dispose();
  await server.close();
});

/** A row of voxels from x = `from` on, as a box of a 1-row grid. */
const row = (from: number, values: number[]): BoxedBytes => ({
  box: { lo: [from, 0, 0], hi: [from + values.length, 1, 1] },
  data: Uint8Array.from(values),
});
const ROW: [number, number, number] = [12, 1, 1];

test('band edges: included below 80 % (204/255), left out from 20 % (51/255) below 50 %; bands follow the mask', () => {
  const probability = row(0, [203, 204, 128, 127, 51, 50, 250, 128, 10]);
  const mask = row(0, [1, 1, 1, 0, 0, 0, 0, 0, 1]);
  const { bands, voxels } = classConfidence(probability, mask);
  assert.deepEqual([...bands.included.data], [1, 0, 1, 0, 0, 0, 0, 0, 1]);
  // A high probability that post-processing removed (250, 128 with mask 0) is not "unsure".
  assert.deepEqual([...bands['left-out'].data], [0, 0, 0, 1, 1, 0, 0, 0, 0]);
  assert.deepEqual(voxels, { included: 3, 'left-out': 2 });
  assert.throws(
    () => classConfidence({ box: row(0, [0, 0, 0, 0]).box, data: new Uint8Array(3) }, mask),
    /probability map: 3 bytes for a box of 4 x 1 x 1 voxels/,
  );
});

test('bands cover both boxes: outside the probability box the probability is 0, outside the mask box the mask is 0', () => {
  // Probability on x 2..5, mask on x 4..8: voxels 6..8 are in the mask with probability 0 ("included", unsure).
  const { bands, voxels } = classConfidence(row(2, [60, 100, 250, 150]), row(4, [1, 1, 1, 1, 1]));
  assert.deepEqual(bands.included.box, { lo: [2, 0, 0], hi: [9, 1, 1] });
  assert.deepEqual([...boxedToGrid(bands.included, ROW)], [0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual([...boxedToGrid(bands['left-out'], ROW)], [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(voxels, { included: 4, 'left-out': 2 });
});

test('the engine returns probabilities only when asked, 255 * sigmoid(logit) per input voxel', async () => {
  const volume = phantomVolume();
  const plain = await model.segment(volume, { classes: ['liver', 'liver tumour'] });
  assert.ok(plain.classes.every((c) => c.probability === undefined));
  const result = await model.segment(volume, { classes: ['liver', 'liver tumour'], probabilities: true });
  assert.ok(result.classes.every((c) => c.probability && c.probability.data.length < volume.voxels.length));
  assert.deepEqual(
    result.classes.map((c) => c.mask),
    plain.classes.map((c) => c.mask),
  );
  const windowed = (hu: number) => Math.min(1, Math.max(0, (hu + 175) / 425));
  const sigmoid255 = (logit: number) => 255 / (1 + Math.exp(-logit));
  for (const [c, centre] of [0.6, 0.8].entries()) {
    const probability = boxedToGrid(result.classes[c]!.probability!, volume.dims);
    let worst = 0;
    volume.voxels.forEach((hu, n) => {
      // The body (HU > -1000) is the model's foreground crop; outside it the map is 0.
      if ((hu as number) <= -1000) return;
      const expected = sigmoid255(10 * (windowed(hu as number) - centre));
      worst = Math.max(worst, Math.abs((probability[n] as number) - expected));
    });
    assert.ok(worst <= 0.51, `class ${c}: largest difference ${worst} from 255 * sigmoid(logit)`);
  }
});

test('on the phantom: the 120 HU liver is "included, unsure" (p 0.72), the 200 HU tumour is sure for the liver; for the tumour class the liver is "left out, possible" (p 0.26)', async () => {
  const volume = phantomVolume();
  const [liver, tumour] = (
    await model.segment(volume, { classes: ['liver', 'liver tumour'], probabilities: true })
  ).classes;
  const hu = volume.voxels;
  const liverBands = classConfidence(liver!.probability!, liver!.mask);
  const tumourBands = classConfidence(tumour!.probability!, tumour!.mask);
  const grid = (b: BoxedBytes) => boxedToGrid(b, volume.dims);
  const [liverMask, tumourMask] = [grid(liver!.mask), grid(tumour!.mask)];
  const [liverIncluded, liverLeftOut] = [grid(liverBands.bands.included), grid(liverBands.bands['left-out'])];
  const [tumourIncluded, tumourLeftOut] = [
    grid(tumourBands.bands.included),
    grid(tumourBands.bands['left-out']),
  ];
  for (let n = 0; n < hu.length; n++) {
    assert.equal(liverIncluded[n], liverMask[n] && hu[n] === 120 ? 1 : 0, `liver included ${n}`);
    assert.equal(liverLeftOut[n], 0, `liver left out ${n}`);
    assert.equal(tumourIncluded[n], tumourMask[n], `tumour included ${n}`);
    // Left out: the liver around the tumour (not the 200 HU blob outside the liver: sure, removed by post-processing).
    const leftOut = !tumourMask[n] && hu[n] === 120 ? 1 : 0;
    assert.equal(tumourLeftOut[n], leftOut, `tumour left out ${n}`);
  }
  assert.ok(liverBands.voxels.included > 1000 && tumourBands.voxels['left-out'] > 1000);
});
