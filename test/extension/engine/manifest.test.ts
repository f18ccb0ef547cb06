import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineError } from '../../../extension/src/engine/errors.ts';
import { parseManifest, type Manifest } from '../../../extension/src/engine/manifest.ts';

const sha = (c: string) => c.repeat(64);

const valid = (): Manifest => ({
  id: 'abdomen-fast',
  version: '1.2.0',
  parent: null,
  preprocess: {
    orientation: 'RAS',
    spacing: [1.5, 1.5, 1.5],
    window: [-175, 250],
    patch: [96, 96, 96],
    overlap: 0.5,
  },
  network: { backbone: 'backbone.onnx', heads: 'heads.onnx' },
  classes: [
    { name: 'liver', synonyms: ['hepar'], file: 'classes/liver.f32', group: 'organs' },
    { name: 'liver tumour', synonyms: [], file: 'classes/liver-tumour.f32', partOf: 'liver' },
  ],
  files: [
    { path: 'backbone.onnx', bytes: 10, sha256: sha('a') },
    { path: 'heads.onnx', bytes: 10, sha256: sha('b') },
    { path: 'classes/liver.f32', bytes: 840292, sha256: sha('c') },
    { path: 'classes/liver-tumour.f32', bytes: 840292, sha256: sha('d') },
  ],
});

const refused = (json: unknown, message: RegExp) =>
  assert.throws(
    () => parseManifest(json, 'test manifest'),
    (e: unknown) => e instanceof EngineError && e.code === 'manifest-invalid' && message.test(e.message),
  );

test('a complete manifest parses, keeping fields the engine does not read', () => {
  assert.equal(parseManifest(valid()).parent, null);
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
