// A headless Chromium page running the engine: fixtures/browser-entry.ts (and worker entries) bundled with esbuild
// into a temporary folder, served with ORT's files and the given model folders, opened once the entry is ready.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { launchBrowser, type BrowserSession } from '../../harness/browser.ts';
import { serveDirectories, type ModelServer } from './model-server.ts';
import { repoRoot } from './python-fixture.ts';

export interface EnginePage {
  browser: BrowserSession;
  server: ModelServer;
  close(): Promise<void>;
}

/**
 * Bundles browser-entry.ts as engine.js plus `workers` (output name -> entry, from the repository root), serves
 * them at the root, ORT's dist at ort/ and each of `mounts` (URL prefix -> folder); opens index.html in Chromium
 * with WebGPU on SwiftShader.
 */
export async function openEnginePage(
  mounts: Record<string, string>,
  workers: Record<string, string> = {},
): Promise<EnginePage> {
  const pageDir = mkdtempSync(path.join(tmpdir(), 'engine-page-'));
  const entries = { 'engine.js': 'test/extension/engine/fixtures/browser-entry.ts', ...workers };
  for (const [out, entry] of Object.entries(entries)) {
    await build({
      entryPoints: [path.join(repoRoot, entry)],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      outfile: path.join(pageDir, out),
      logLevel: 'error',
    });
  }
  writeFileSync(
    path.join(pageDir, 'index.html'),
    '<!doctype html><link rel="icon" href="data:,"><script type="module" src="engine.js"></script>',
  );
  const server = await serveDirectories({
    '': pageDir,
    'ort/': path.join(repoRoot, 'node_modules/onnxruntime-web/dist'),
    ...mounts,
  });
  const browser = await launchBrowser({ webgpu: true });
  await browser.page.goto(`${server.url}index.html`);
  await browser.page.waitForFunction(() => 'segmentInBrowser' in globalThis);
  return {
    browser,
    server,
    async close() {
      await browser.close();
      await server.close();
      rmSync(pageDir, { recursive: true, force: true });
    },
  };
}
