// Reading the model registry over real HTTP: what the panel gets for an installed model, and the clear error it
// shows for each way the registry can be missing or malformed.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  loadModelSummary,
  loadRegistryIndex,
  registryBaseUrl,
  RegistryError,
} from '../../../extension/src/ohif/utils/modelRegistry.ts';

/** Files the server answers, by path; anything else is 404. */
const files = new Map<string, string>();
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const serve = (entries: Record<string, unknown>) => {
  files.clear();
  for (const [p, v] of Object.entries(entries)) files.set(p, typeof v === 'string' ? v : JSON.stringify(v));
};

const rejectsWith = (promise: Promise<unknown>, kind: string, message: RegExp) =>
  assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.kind, kind);
    assert.match(err.message, message);
    return true;
  });

const liver = { name: 'liver', synonyms: ['hepar'], colour: [221, 130, 101] };
const tumour = { name: 'liver tumour', synonyms: ['liver lesion'], colour: [255, 255, 0], partOf: 'liver' };
const index = { models: [{ id: 'm1', version: '1.2.0', path: 'm1/manifest.json' }] };

describe('registry index', () => {
  test('lists the models with manifest URLs resolved against the registry', async () => {
    serve({ '/models/index.json': index });
    assert.deepEqual(await loadRegistryIndex(base), [
      { id: 'm1', version: '1.2.0', manifestUrl: `${base}m1/manifest.json` },
    ]);
  });

  test('a missing index or an empty list means "no model installed", naming the URL', async () => {
    serve({});
    await rejectsWith(
      loadRegistryIndex(base),
      'no-model',
      /No segmentation model is installed: .*index\.json was not found/,
    );
    serve({ '/models/index.json': { models: [] } });
    await rejectsWith(loadRegistryIndex(base), 'no-model', /lists no model/);
  });

  test('a malformed index is refused with the entry at fault', async () => {
    serve({ '/models/index.json': '{not json' });
    await rejectsWith(loadRegistryIndex(base), 'invalid', /index\.json is not JSON/);
    serve({ '/models/index.json': { model: [] } });
    await rejectsWith(loadRegistryIndex(base), 'invalid', /has no "models" list/);
    serve({ '/models/index.json': { models: [{ id: 'm1', version: '1.0.0' }] } });
    await rejectsWith(loadRegistryIndex(base), 'invalid', /models\[0\] \("m1"\) has no manifest "path"/);
    serve({ '/models/index.json': { models: [{ id: 'm1' }] } });
    await rejectsWith(loadRegistryIndex(base), 'invalid', /models\[0\] needs string "id" and "version"/);
  });

  test('an unreachable registry is a fetch failure naming the URL', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    await rejectsWith(
      loadRegistryIndex(`http://127.0.0.1:${closed}/models/`),
      'fetch-failed',
      /cannot reach http/,
    );
  });
});

describe('model manifest', () => {
  const entry = () => ({ id: 'm1', version: '1.2.0', manifestUrl: `${base}m1/manifest.json` });

  test('gives the classes with synonyms, colours and the organ a tumour lies in', async () => {
    serve({ '/models/m1/manifest.json': { id: 'm1', version: '1.2.0', classes: [liver, tumour] } });
    const summary = await loadModelSummary(entry());
    assert.deepEqual(summary.classes, [
      { ...liver, codes: [] },
      { ...tumour, codes: [] },
    ]);
    assert.equal(summary.version, '1.2.0');
    assert.deepEqual(summary.steps, []);
  });

  test('gives each class its SNOMED CT type and region codes for the prompt search', async () => {
    const liverCode = { scheme: 'SCT', value: '10200004', meaning: 'Liver' };
    const neoplasm = { scheme: 'SCT', value: '108369006', meaning: 'Neoplasm' };
    serve({
      '/models/m1/manifest.json': {
        id: 'm1',
        version: '1.2.0',
        classes: [
          { ...liver, type: liverCode },
          { ...tumour, type: neoplasm, region: liverCode },
        ],
      },
    });
    const summary = await loadModelSummary(entry());
    assert.deepEqual(
      summary.classes.map((c) => c.codes),
      [
        [{ role: 'type', value: '10200004', meaning: 'Liver' }],
        [
          { role: 'type', value: '108369006', meaning: 'Neoplasm' },
          { role: 'region', value: '10200004', meaning: 'Liver' },
        ],
      ],
    );
  });

  test('gives each class its group and the continual step that added it, and the steps with their data', async () => {
    const steps = [
      { index: 1, name: 'BTCV', kind: 'full', classes: ['liver'], data: 'BTCV 30 CT' },
      { index: 2, name: 'LiTS', kind: 'head-only', classes: ['liver tumour'], data: 'LiTS 131 CT' },
    ];
    serve({
      '/models/m1/manifest.json': {
        id: 'm1',
        version: '1.2.0',
        classes: [
          { ...liver, group: 'organs', step: 1 },
          { ...tumour, group: 'tumours', step: 2 },
        ],
        steps,
      },
    });
    const summary = await loadModelSummary(entry());
    assert.deepEqual(
      summary.classes.map((c) => [c.name, c.group, c.step]),
      [
        ['liver', 'organs', 1],
        ['liver tumour', 'tumours', 2],
      ],
    );
    assert.deepEqual(summary.steps, [
      { index: 1, name: 'BTCV', kind: 'full', data: 'BTCV 30 CT' },
      { index: 2, name: 'LiTS', kind: 'head-only', data: 'LiTS 131 CT' },
    ]);
    serve({
      '/models/m1/manifest.json': { id: 'm1', version: '1.2.0', classes: [liver], steps: [{ index: 1 }] },
    });
    await rejectsWith(loadModelSummary(entry()), 'invalid', /a step needs an integer "index" and a "name"/);
  });

  test('refuses a manifest that does not match its index entry or has bad classes, naming what is wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [{ id: 'other', version: '1.2.0', classes: [liver] }, /is model "other", the index says "m1"/],
      [{ id: 'm1', version: '9.9.9', classes: [liver] }, /is version "9\.9\.9", the index says "1\.2\.0"/],
      [{ id: 'm1', version: '1.2.0', classes: [] }, /lists no classes/],
      [{ id: 'm1', version: '1.2.0', classes: [{ synonyms: [] }] }, /a class needs a "name"/],
      [
        { id: 'm1', version: '1.2.0', classes: [{ name: 'liver', synonyms: 'hepar' }] },
        /"synonyms" of "liver"/,
      ],
      [{ id: 'm1', version: '1.2.0', classes: [{ ...liver, colour: [0, 0, 256] }] }, /"colour" of "liver"/],
    ];
    for (const [manifest, message] of cases) {
      serve({ '/models/m1/manifest.json': manifest });
      await rejectsWith(loadModelSummary(entry()), 'invalid', message);
    }
    serve({});
    await rejectsWith(loadModelSummary(entry()), 'fetch-failed', /manifest\.json answered HTTP 404/);
  });
});

test('the registry URL defaults to /models/ on the page origin and always ends with a slash', () => {
  assert.equal(
    registryBaseUrl(undefined, 'https://pacs.example/organ-tumour-ai?x=1'),
    'https://pacs.example/models/',
  );
  assert.equal(registryBaseUrl('/ai', 'https://pacs.example/viewer'), 'https://pacs.example/ai/');
  assert.equal(registryBaseUrl('https://cdn.example/m/', 'https://pacs.example/'), 'https://cdn.example/m/');
});
