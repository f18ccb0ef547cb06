import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineError } from '../../../extension/src/engine/errors.ts';
import { parseManifest, type Manifest } from '../../../extension/src/engine/manifest.ts';

const sha = (c: string) => c.repeat(64);

const code = (value: string, meaning: string) => ({ scheme: 'SCT' as const, value, meaning });

const valid = (): Manifest => ({
  format: 'contseg-manifest/1',
  id: 'abdomen-fast',
  version: '1.2.0',
  parent: { id: 'abdomen-fast', version: '1.1.0' },
  steps: [{ index: 1, name: 'organs', kind: 'full', classes: ['liver', 'liver tumour'], data: 'phantom' }],
  preprocess: {
    orientation: 'RAS',
    spacing: [1.5, 1.5, 1.5],
    window: [-175, 250],
    patch: [96, 96, 96],
    overlap: 0.5,
    blend: 'gaussian',
    foregroundCrop: { enabled: true, threshold: 0 },
  },
  network: {
    backbone: 'backbone.onnx',
    heads: 'heads.onnx',
    opset: 17,
    featureSize: 48,
    parameters: 62_000_000,
  },
  heads: { featureDim: 256, hiddenDim: 512, paramCount: 153, channels: 8 },
  classes: [
    {
      name: 'liver',
      slug: 'liver',
      label: 5,
      prompt: 'liver',
      synonyms: ['hepar'],
      group: 'organs',
      category: code('123037004', 'Anatomical Structure'),
      type: code('10200004', 'Liver'),
      colour: [221, 130, 101],
      step: 1,
      embedding: 'clip',
      file: 'classes/liver.f32',
    },
    {
      name: 'liver tumour',
      slug: 'liver-tumour',
      label: 17,
      prompt: 'liver tumor',
      synonyms: [],
      group: 'tumours',
      category: code('49755003', 'Morphologically Altered Structure'),
      type: code('108369006', 'Neoplasm'),
      region: code('10200004', 'Liver'),
      colour: [255, 255, 0],
      step: 1,
      partOf: 'liver',
      embedding: 'clip',
      file: 'classes/liver-tumour.f32',
    },
  ],
  files: [
    { path: 'backbone.onnx', bytes: 10, sha256: sha('a') },
    { path: 'heads.onnx', bytes: 10, sha256: sha('b') },
    { path: 'classes/liver.f32', bytes: 840292, sha256: sha('c') },
    { path: 'classes/liver-tumour.f32', bytes: 840292, sha256: sha('d') },
  ],
  training: { data: 'phantom', hardware: 'H200', time: 3600, seed: 1 },
});

const refused = (json: unknown, message: RegExp) =>
  assert.throws(
    () => parseManifest(json, 'test manifest'),
    (e: unknown) => e instanceof EngineError && e.code === 'manifest-invalid' && message.test(e.message),
  );

test('a complete manifest passes models/registry/manifest.schema.json and the cross-checks', () => {
  assert.equal(parseManifest(valid()).parent?.version, '1.1.0');
});

test('an unknown manifest format or an unknown field is refused (the schema is closed)', () => {
  refused({ ...valid(), format: 'contseg-manifest/2' }, /\/format must be equal to constant/);
  refused({ ...valid(), extra: 1 }, /must NOT have additional properties/);
});

test('schema violations are refused, naming each field', () => {
  const m = valid() as unknown as Record<string, unknown>;
  delete m.network;
  refused(m, /must have required property 'network'/);
  refused({ ...valid(), version: 'latest' }, /\/version must match pattern/);
  refused(
    { ...valid(), preprocess: { ...valid().preprocess, overlap: 1 } },
    /\/preprocess\/overlap must be < 1/,
  );
  refused(
    { ...valid(), files: [{ path: 'heads.onnx', bytes: 10, sha256: 'xyz' }] },
    /\/files\/0\/sha256 must match/,
  );
  refused({ ...valid(), classes: [] }, /\/classes must NOT have fewer than 1 items/);
});

test('file paths must stay inside the model directory', () => {
  for (const path of [
    '../secret.onnx',
    'https://evil.example/heads.onnx',
    '/etc/passwd',
    'classes/../../x',
  ]) {
    refused(
      { ...valid(), network: { backbone: path, heads: 'heads.onnx' } },
      /\/network\/backbone must match pattern/,
    );
  }
});

test('every file the model uses must be pinned by size and sha256 in files', () => {
  const m = valid();
  m.files = m.files.filter((f) => f.path !== 'classes/liver.f32');
  refused(m, /"classes\/liver\.f32" is used but not listed in files/);
});

test('duplicate class names and partOf an unknown class are refused', () => {
  const m = valid();
  m.classes.push({ ...(m.classes[0] as Manifest['classes'][0]) });
  refused(m, /class "liver" appears twice/);
  const n = valid();
  (n.classes[1] as Manifest['classes'][0]).partOf = 'pancreas';
  refused(n, /partOf unknown class "pancreas"/);
});
