// The DICOM layer in Debian Chromium: the real JPEG 2000 series decoded in the page (WebAssembly codecs fetched with
// wasmFromUrl, and the pure-JS build) gives the same volume as Node, and a SEG written there reads back exactly.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchBrowser, type BrowserSession } from '../../harness/browser.ts';
import { serveDirectories, type ModelServer } from '../engine/model-server.ts';
import { CODEC_WASM_SPECIFIERS, nodeCodecWasm } from '../../../extension/src/dicom/codec-wasm-node.ts';
import { CODEC_WASM_FILES, FrameDecoder } from '../../../extension/src/dicom/frame-decode.ts';
import { planSeries } from '../../../extension/src/dicom/series-geometry.ts';
import { buildVolume } from '../../../extension/src/dicom/volume-build.ts';
import type { BrowserDicomRun } from './fixtures/browser-entry.ts';
import { NO_REAL_DATA, REAL_J2K, readFolder } from './fixtures.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
let pageDir: string;
let codecDir: string;
let server: ModelServer;
let browser: BrowserSession;
/** Consecutive slices of the real series used (enough for a volume, few enough to keep the test short). */
const SLICES = 6;

before(async () => {
  if (NO_REAL_DATA) return;
  pageDir = mkdtempSync(path.join(tmpdir(), 'dicom-page-'));
  codecDir = mkdtempSync(path.join(tmpdir(), 'dicom-codecs-'));
  await build({
    entryPoints: [path.join(here, 'fixtures/browser-entry.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // The emscripten builds name fs/path only on their Node branch, which a browser never takes.
    external: ['fs', 'path'],
    outfile: path.join(pageDir, 'dicom.js'),
    logLevel: 'error',
  });
  writeFileSync(
    path.join(pageDir, 'index.html'),
    '<!doctype html><link rel="icon" href="data:,"><script type="module" src="dicom.js"></script>',
  );
  for (const [codec, file] of Object.entries(CODEC_WASM_FILES)) {
    const specifier = CODEC_WASM_SPECIFIERS[codec as keyof typeof CODEC_WASM_FILES];
    copyFileSync(require.resolve(specifier), path.join(codecDir, file));
  }
  server = await serveDirectories({ '': pageDir, 'data/': REAL_J2K, 'codecs/': codecDir });
  browser = await launchBrowser();
  await browser.page.goto(`${server.url}index.html`);
  await browser.page.waitForFunction(() => 'dicomInBrowser' in globalThis);
});

after(async () => {
  await browser?.close();
  await server?.close();
  for (const dir of [pageDir, codecDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'in Chromium: JPEG 2000 slices -> the same volume as Node (WASM and JS codecs), SEG written and read back exactly',
  { skip: NO_REAL_DATA, timeout: 180_000 },
  async () => {
    const files = readdirSync(REAL_J2K)
      .filter((f) => f.endsWith('.dcm'))
      .sort()
      .slice(0, SLICES);
    const run = await browser.page.evaluate(
      ([urls, codecs]) =>
        (
          globalThis as unknown as { dicomInBrowser: (u: string[], c: string) => Promise<BrowserDicomRun> }
        ).dicomInBrowser(urls, codecs),
      [files.map((f) => `${server.url}data/${f}`), `${server.url}codecs/`] as const,
    );
    const images = (await readFolder(REAL_J2K)).filter((f) => files.includes(f.file)).map((f) => f.image);
    const plan = planSeries(images.map((im) => im.header));
    const byUid = new Map(images.map((im) => [im.header.sopInstanceUID, im]));
    const volume = await buildVolume(
      plan,
      async (s) => {
        const im = byUid.get(s.sopInstanceUID);
        return { bytes: im?.frame as Uint8Array, transferSyntaxUID: im?.header.transferSyntaxUID as string };
      },
      new FrameDecoder(nodeCodecWasm),
    );
    let sum = 0;
    for (const v of volume.voxels) sum += v;
    console.log(
      `Chromium: ${SLICES} JPEG 2000 frames decoded with WebAssembly in ${run.wasmMs.toFixed(0)} ms`,
    );
    assert.deepEqual(run.dims, volume.dims);
    assert.equal(run.voxelSum, sum);
    assert.equal(run.jsFrameEqual, true);
    assert.ok(run.segBytes > 0);
    assert.equal(run.segMismatches, 0);
    assert.deepEqual(browser.errors, []);
  },
);
