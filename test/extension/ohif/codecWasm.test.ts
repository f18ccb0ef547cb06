// The viewer bundle's DICOM codecs in Debian Chromium: a page built with the project's webpack config (as
// dist/ext is) fetches every codec's WebAssembly binary from its own origin, where webpack emitted it, and decodes
// an HTJ2K frame exactly with it (the path a series OHIF has not decoded itself takes).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import webpack, { type Configuration } from 'webpack';
import { launchBrowser, type BrowserSession } from '../../harness/browser.ts';
import { serveDirectories, type ModelServer } from '../engine/model-server.ts';
import { CODEC_WASM_FILES } from '../../../extension/src/dicom/frame-decode.ts';
import type { CodecPageRun } from './fixtures/codec-page.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const WEBPACK_CONFIG = path.resolve(here, '..', '..', '..', 'webpack.config.js');
let pageDir: string;
let server: ModelServer;
let browser: BrowserSession;

/** Builds the page's entry with the project's webpack config (entry and output folder replaced). */
async function buildPage(outDir: string): Promise<void> {
  const { default: projectConfig } = (await import(pathToFileURL(WEBPACK_CONFIG).href)) as {
    default: (env: unknown, argv: { mode: 'development' | 'production' }) => Configuration;
  };
  const base = projectConfig({}, { mode: 'development' });
  const config: Configuration = {
    ...base,
    entry: { 'codec-page': path.join(here, 'fixtures', 'codec-page.ts') },
    output: { ...base.output, path: outDir },
    devtool: false,
  };
  await new Promise<void>((resolve, reject) =>
    webpack(config, (err, stats) => {
      if (err || stats?.hasErrors()) reject(err ?? new Error(stats?.toString('errors-only')));
      else resolve();
    }),
  );
}

before(async () => {
  pageDir = await mkdtemp(path.join(tmpdir(), 'codec-page-'));
  await buildPage(pageDir);
  await writeFile(
    path.join(pageDir, 'index.html'),
    '<!doctype html><link rel="icon" href="data:,"><script type="module" src="codec-page.js"></script>',
  );
  server = await serveDirectories({ '': pageDir });
  browser = await launchBrowser();
  await browser.page.goto(`${server.url}index.html`);
  await browser.page.waitForFunction(() => 'codecsInPage' in globalThis);
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (pageDir) await rm(pageDir, { recursive: true, force: true });
});

test(
  'in Chromium, the webpack-built bundle fetches each codec binary from its own origin (valid WebAssembly) and decodes HTJ2K exactly',
  { timeout: 180_000 },
  async () => {
    const run = await browser.page.evaluate(() =>
      (globalThis as unknown as { codecsInPage: () => Promise<CodecPageRun> }).codecsInPage(),
    );
    assert.deepEqual(Object.keys(run.binaries).sort(), Object.keys(CODEC_WASM_FILES).sort());
    for (const [codec, { bytes, valid }] of Object.entries(run.binaries)) {
      assert.ok(valid && bytes > 10_000, `${codec}: ${bytes} bytes, valid WebAssembly: ${valid}`);
    }
    assert.equal(run.voxels, 48 * 64);
    assert.equal(run.mismatches, 0, 'HTJ2K frame decoded exactly');
    // One emitted file per codec, served by the page's own server.
    const wasmFiles = new Set(server.requests.filter((r) => r.endsWith('.wasm')));
    assert.equal(wasmFiles.size, Object.keys(CODEC_WASM_FILES).length, [...wasmFiles].join(', '));
    assert.deepEqual(browser.foreignRequests(new URL(server.url).origin), [], 'no request to another origin');
    assert.deepEqual(browser.errors, [], 'no console error');
  },
);
