// The viewer server over real HTTP, without a browser: what it sends for each kind of path. Proves the headers a
// cross-origin-isolated OHIF needs on static and proxied responses, the MIME types module scripts and WASM need,
// that the DICOMweb proxy keeps Orthanc's URLs on the viewer's origin, that the SPA fallback serves index.html
// only for routes, that paths cannot escape the served folders, and the registry index it sends.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { firstString, qido, stowFolder, TAG } from '../harness/dicomweb.ts';
import { freePort, startOrthanc, type Orthanc } from '../harness/orthanc.ts';
import { REAL_SERIES } from '../harness/stack.ts';
import { startViewerServer, type ViewerServer } from '../harness/viewer-server.ts';

const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

function assertIsolated(response: Response, what: string) {
  for (const [name, value] of Object.entries(ISOLATION)) {
    assert.equal(response.headers.get(name), value, `${name} on ${what}`);
  }
}

describe('viewer server', { timeout: 120_000 }, () => {
  let orthanc: Orthanc;
  let viewer: ViewerServer;
  let registry: string;

  before(async () => {
    orthanc = await startOrthanc();
    registry = await mkdtemp(path.join(tmpdir(), 'contseg-registry-'));
    viewer = await startViewerServer({ orthancUrl: orthanc.baseUrl, modelsDir: registry });
  });
  after(async () => {
    await viewer?.close();
    await orthanc?.stop();
    if (registry) await rm(registry, { recursive: true, force: true });
  });

  test('static files carry COOP/COEP and the MIME types ES modules and WASM need', async () => {
    const cases: [string, RegExp][] = [
      ['/', /^text\/html/],
      ['/app-config.js', /^application\/javascript/],
      ['/ext/extension-organ-tumour-ai.js', /^application\/javascript/],
      ['/ext/mode-organ-tumour-ai.js', /^application\/javascript/],
    ];
    for (const [url, type] of cases) {
      const response = await fetch(viewer.url + url);
      assert.equal(response.status, 200, url);
      assert.match(response.headers.get('content-type') ?? '', type, url);
      assertIsolated(response, url);
    }
    const html = await (await fetch(`${viewer.url}/`)).text();
    const wasm = /[0-9a-f]{16}\.wasm/.exec(
      await (await fetch(`${viewer.url}/${/app\.bundle\.[0-9a-f]+\.js/.exec(html)?.[0]}`)).text(),
    );
    assert.ok(wasm, 'the OHIF app bundle names a .wasm file');
    const response = await fetch(`${viewer.url}/${wasm[0]}`);
    assert.equal(response.headers.get('content-type'), 'application/wasm');
  });

  test('app-config.js points OHIF at /dicom-web on its own origin and loads our extension and mode', async () => {
    const source = await (await fetch(`${viewer.url}/app-config.js`)).text();
    assert.match(source, /qidoRoot: origin \+ '\/dicom-web'/);
    assert.match(source, /imageRendering: 'wadors'/);
    assert.match(source, /thumbnailRendering: 'wadors'/);
    assert.match(source, /"@ohif\/extension-cornerstone-dicom-seg","\/ext\/extension-organ-tumour-ai\.js"/);
    assert.match(source, /modes: \['\/ext\/mode-organ-tumour-ai\.js'\]/);
  });

  test('routes fall back to index.html; missing files and escapes from the served folders are 404', async () => {
    const route = await fetch(`${viewer.url}/organ-tumour-ai?StudyInstanceUIDs=1.2.3`);
    assert.equal(route.status, 200);
    assert.match(await route.text(), /<html/);
    for (const url of [
      '/missing.js',
      '/ext/missing.js',
      '/ext/..%2F..%2Fpackage.json',
      '/models/..%2Fcatalogue.json',
    ]) {
      assert.equal((await fetch(viewer.url + url)).status, 404, url);
    }
  });

  test('the registry index is empty until a model is installed, then served as is', async () => {
    assert.deepEqual(await (await fetch(`${viewer.url}/models/index.json`)).json(), { models: [] });
    const index = { models: [{ id: 'm', version: '1.0.0', path: 'm/manifest.json' }] };
    await writeFile(path.join(registry, 'index.json'), JSON.stringify(index));
    await mkdir(path.join(registry, 'm'));
    await writeFile(path.join(registry, 'm', 'backbone.onnx'), Buffer.from([1, 2, 3]));
    assert.deepEqual(await (await fetch(`${viewer.url}/models/index.json`)).json(), index);
    const model = await fetch(`${viewer.url}/models/m/backbone.onnx`);
    assert.equal(model.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual([...new Uint8Array(await model.arrayBuffer())], [1, 2, 3]);
  });

  test(
    'DICOMweb through the proxy: STOW and QIDO work, URLs Orthanc returns stay on the viewer origin, COOP/COEP set',
    { skip: existsSync(REAL_SERIES) ? false : `no ${REAL_SERIES}` },
    async () => {
      const proxied = `${viewer.url}/dicom-web`;
      const [study] = await stowFolder(proxied, REAL_SERIES);
      const [found] = await qido(proxied, 'studies', { StudyInstanceUID: study! });
      assert.ok(found);
      assert.equal(new URL(firstString(found, TAG.RetrieveURL)!).origin, viewer.url);
      const series = await qido(proxied, `studies/${study}/series`);
      const metadata = await fetch(
        `${proxied}/studies/${study}/series/${firstString(series[0]!, TAG.SeriesInstanceUID)}/metadata`,
      );
      assertIsolated(metadata, 'a proxied response');
      const bulk = JSON.stringify(await metadata.json()).match(/"BulkDataURI":"([^"]+)"/)?.[1];
      assert.ok(bulk, 'series metadata has BulkDataURIs');
      assert.equal(new URL(bulk).origin, viewer.url);
    },
  );

  test('a PACS that does not answer gives HTTP 502 naming the problem', async () => {
    const down = await startViewerServer({ orthancUrl: `http://127.0.0.1:${await freePort()}` });
    try {
      const response = await fetch(`${down.url}/dicom-web/studies`);
      assert.equal(response.status, 502);
      assert.match(await response.text(), /PACS unreachable/);
    } finally {
      await down.close();
    }
  });
});
