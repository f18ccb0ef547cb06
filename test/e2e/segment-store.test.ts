// End to end in Debian Chromium against a real Orthanc: a radiologist's whole path through our panel. Opens the
// phantom study in our mode, finds classes by typing, ticks liver + liver tumour + spleen, runs the model (engine in
// a Web Worker, WASM on this machine), sees the segments in the viewport with non-zero volumes, stores the DICOM SEG
// to the PACS through OHIF's data source, confirms by QIDO that the SEG series exists and reads back the stored
// classes, and reopens the study with the SEG listed by OHIF; no console error and no request to another origin.
// Screenshots of each step go to docs/screenshots/ (docs/user-guide.md shows them).
//
// Model: the registry at $CONTSEG_E2E_REGISTRY when set (e.g. models/registry with the trained `abdomen-fast`),
// otherwise the engine's tiny test model (a real ONNX backbone + heads, test/extension/engine/fixtures/tiny_model.py).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, type BrowserSession } from '../harness/browser.ts';
import { firstString, qido, TAG } from '../harness/dicomweb.ts';
import { decodePng } from '../harness/png.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { REPO_ROOT, startViewerServer, type ViewerServer } from '../harness/viewer-server.ts';
import { pythonFixture } from '../extension/engine/python-fixture.ts';

const OHIF_LOAD_MS = 120_000;
const RUN_MS = 480_000;
const SHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');
const CLASSES = ['liver', 'liver tumour', 'spleen'];

/** A registry folder listing the engine's tiny test model (linked, not copied). */
async function tinyRegistry(): Promise<string> {
  const registry = await mkdtemp(path.join(tmpdir(), 'contseg-e2e-registry-'));
  await symlink(pythonFixture('tiny_model.py'), path.join(registry, 'tiny-test'));
  const index = { models: [{ id: 'tiny-test', version: '0.0.1', path: 'tiny-test/manifest.json' }] };
  await writeFile(path.join(registry, 'index.json'), JSON.stringify(index));
  return registry;
}

/** Pixels of the viewport that are clearly coloured (a segment overlay), not grey CT. */
function colouredPixels(png: Buffer): number {
  const { data } = decodePng(png);
  let n = 0;
  for (let p = 0; p < data.length; p += 4) {
    const [r, g, b] = [data[p]!, data[p + 1]!, data[p + 2]!];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
  }
  return n;
}

const shot = (session: BrowserSession, name: string) =>
  session.page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

describe('segment and store', { timeout: 900_000 }, () => {
  let stack: Stack;
  let viewer: ViewerServer;
  let registry: string;
  let ownRegistry = false;
  let study: string;
  let session: BrowserSession;

  before(async () => {
    stack = await startStack({ realSeries: false, log: (line) => console.log(`# ${line}`) });
    assert.ok(stack.phantomStudy, 'the phantom study was generated and uploaded');
    study = stack.phantomStudy;
    registry = process.env.CONTSEG_E2E_REGISTRY ?? '';
    if (!registry) {
      registry = await tinyRegistry();
      ownRegistry = true;
    }
    viewer = await startViewerServer({ orthancUrl: stack.orthanc.baseUrl, modelsDir: registry });
    session = await launchBrowser();
    await mkdir(SHOTS, { recursive: true });
  });
  after(async () => {
    await session?.close();
    await viewer?.close();
    await stack?.stop();
    if (ownRegistry) await rm(registry, { recursive: true, force: true });
  });

  test('prompts, run, segments with volumes, store to PACS, SEG found by QIDO and listed on reopening; no console error, no foreign request', async () => {
    const { page } = session;
    await page.goto(`${viewer.url}/organ-tumour-ai?StudyInstanceUIDs=${study}`);
    const panel = page.getByTestId('organ-tumour-ai-panel');
    await panel.getByTestId('prompt-list').waitFor({ timeout: OHIF_LOAD_MS });
    const viewport = page.locator('.cornerstone-viewport-element').first();
    await viewport.waitFor({ timeout: OHIF_LOAD_MS });
    await page
      .getByText(/\(\d+\/\d+\)/)
      .first()
      .waitFor({ timeout: OHIF_LOAD_MS });

    // 1. Find and tick the structures by typing.
    const search = panel.getByTestId('prompt-search');
    await search.fill('liver');
    for (const name of ['liver', 'liver tumour']) await panel.locator(`[data-name="${name}"] input`).check();
    await search.fill('spleen');
    await panel.locator('[data-name="spleen"] input').check();
    await search.fill('');
    await shot(session, 'step1-prompts');
    const run = panel.getByRole('button', { name: 'Segment 3 structures' });

    // 2. Run: progress with a stage is shown while the worker runs; the page stays responsive.
    await run.click();
    await panel.getByTestId('run-progress').waitFor({ timeout: 10_000 });
    await panel.getByText(/Running the model/).waitFor({ timeout: RUN_MS });
    await shot(session, 'step2-running');
    const responsive = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const t0 = performance.now();
          setTimeout(() => resolve(performance.now() - t0), 0);
        }),
    );
    assert.ok(responsive < 500, `the page answered a timer in ${responsive} ms while the model ran`);

    // 3. Results: every ticked class is a segment with a volume; our panel is shown again after OHIF's tab switch.
    await panel.getByTestId('run-result').waitFor({ timeout: RUN_MS });
    const errorText = await panel.getByTestId('run-error').count();
    assert.equal(errorText, 0);
    const rows = await panel.getByTestId('result-class').evaluateAll((els) =>
      els.map((e) => ({
        name: e.dataset.name,
        ml: Number(e.querySelector<HTMLElement>('[data-testid="result-volume"]')?.dataset.ml),
      })),
    );
    assert.deepEqual(
      rows.map((r) => r.name),
      CLASSES,
    );
    for (const row of rows) assert.ok(row.ml > 0, `${row.name} has a volume (${row.ml} mL)`);
    assert.match(await panel.getByTestId('run-summary').innerText(), /on WebAssembly \(CPU\) · [\d.]+ s/);
    await page.waitForTimeout(1000);
    assert.ok(colouredPixels(await viewport.screenshot()) > 50, 'segment overlays are drawn on the CT');
    await shot(session, 'step3-results');

    // Hide and show, and jump to a structure.
    await panel.getByRole('button', { name: 'Hide liver', exact: true }).click();
    await panel.getByRole('button', { name: 'Show liver', exact: true }).click();
    await panel.getByRole('button', { name: 'Go to liver', exact: true }).click();

    // 4. Store to PACS.
    await panel.getByRole('button', { name: 'Store to PACS' }).click();
    await panel.getByTestId('save').and(page.locator('[data-phase="stored"]')).waitFor({ timeout: 60_000 });
    assert.equal(await panel.getByTestId('save-message').innerText(), 'Stored the segmentation in the PACS.');
    await shot(session, 'step4-stored');
    const segSeries = await qido(stack.orthanc.dicomWebUrl, `studies/${study}/series`, { Modality: 'SEG' });
    assert.equal(segSeries.length, 1, 'one SEG series in the study');
    const segUid = firstString(segSeries[0]!, TAG.SeriesInstanceUID);
    assert.ok(segUid);

    // 5. Reopen the study: OHIF lists the stored SEG.
    await page.goto(`${viewer.url}/organ-tumour-ai?StudyInstanceUIDs=${study}`);
    await panel.getByTestId('prompt-list').waitFor({ timeout: OHIF_LOAD_MS });
    await page.getByText('SEG', { exact: true }).first().waitFor({ timeout: OHIF_LOAD_MS });
    await shot(session, 'step5-reopened');

    assert.deepEqual(
      session.errors.map((e) => `${e.type}: ${e.text} (${e.url})`),
      [],
      'no console errors or uncaught page errors',
    );
    assert.deepEqual(session.foreignRequests(viewer.url), [], 'no request to another origin');
  });
});
