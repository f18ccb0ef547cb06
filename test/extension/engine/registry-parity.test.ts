// Parity of the engine (Node, onnxruntime-web WASM) with the Python evaluation of the same registry model on the
// real CT of ../shared/data: every class's mask on the input grid has Dice >= 0.99 with Python's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadModel, type Model } from '../../../extension/src/engine/model.ts';
import { dice } from './mask-dice.ts';
import { serveDirectory, type ModelServer } from './model-server.ts';
import { readReferenceCase, registryModel, sharedDataMissing } from './registry-reference.ts';
import { boxedToGrid } from '../../../extension/src/engine/boxed.ts';

const MIN_DICE = 0.99;

let server: ModelServer | undefined;
let model: Model | undefined;

before(async () => {
  if (sharedDataMissing) return;
  server = await serveDirectory(registryModel().dir);
  model = await loadModel(`${server.url}manifest.json`, { cache: null });
});

after(async () => {
  await model?.dispose();
  await server?.close();
});

for (const name of ['full', 'crop'] as const) {
  test(
    `Node WASM: the registry model's masks on the real CT (${name}) equal the Python evaluation's, Dice >= ${MIN_DICE} per class`,
    { skip: sharedDataMissing },
    async () => {
      const reference = readReferenceCase(name);
      const loaded = model as Model;
      const result = await loaded.segment(reference.volume, {
        classes: reference.classes.map((c) => c.name),
        backend: 'wasm',
      });
      const scores = result.classes.map((c, i) => ({
        name: c.name,
        engine: c.voxels,
        python: reference.classes[i]?.voxels,
        dice: dice(boxedToGrid(c.mask, reference.volume.dims), reference.mask(i)),
      }));
      console.log(
        `${loaded.id} ${loaded.version}, ${name} ${reference.volume.dims.join('x')}, ${reference.windows} windows, ` +
          `timings ${JSON.stringify(result.timingsMs)}\n${JSON.stringify(scores)}`,
      );
      assert.deepEqual(
        scores.map((s) => s.name),
        reference.classes.map((c) => c.name),
      );
      assert.ok(
        scores.some((s) => (s.python ?? 0) > 1000),
        'the reference segments something on the real CT',
      );
      for (const s of scores)
        assert.ok(s.dice >= MIN_DICE, `${s.name}: Dice ${s.dice} (${JSON.stringify(s)})`);
    },
  );
}
