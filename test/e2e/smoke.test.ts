// End to end in Debian Chromium: stock OHIF 3.13.2 + our extension and mode loaded by URL + a real Orthanc.
// Proves that the study list shows the uploaded CT study and offers our mode (and does not offer it for a study
// without CT), that our mode opens it with the CT drawn in a viewport, the stack tools working and our panel on
// the right, that the page is cross-origin isolated, that nothing logs a console error and that no request leaves
// the viewer's origin; and that the panel lists a registry model's classes and finds them by name and synonym,
// also when app-config.js lists only the mode (which then loads the extension itself).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DISPLAY_NAME } from '../../modes/organ-tumour-ai/src/id.ts';
import { groupPrompts } from '../../extension/src/ohif/utils/promptGroups.ts';
import { launchBrowser, type BrowserSession } from '../harness/browser.ts';
import { storeCopyAsModality } from '../harness/derived-study.ts';
import { writeCatalogueRegistry } from '../harness/registry-fixture.ts';
import { firstString, qido, TAG } from '../harness/dicomweb.ts';
import { decodePng, greyStats } from '../harness/png.ts';
import { SCREENSHOT_DIR } from '../harness/screenshots.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { MODELS_DIR, REPO_ROOT, startViewerServer, type ViewerServer } from '../harness/viewer-server.ts';

const OHIF_LOAD_MS = 120_000;
const NOT_CT_PATIENT = 'NOTCT-MR';
const SCREENSHOT = path.join(SCREENSHOT_DIR, 'smoke-viewer.png');
const PANEL_SCREENSHOT = path.join(SCREENSHOT_DIR, 'smoke-panel-prompts.png');

/** Waits until the viewport has drawn a CT slice: a non-uniform image, not a blank canvas. */
async function expectCtDrawn(session: BrowserSession, instances: number) {
  const { page } = session;
  await page
    .getByText(new RegExp(`\\(\\d+/${instances}\\)`))
    .first()
    .waitFor({ timeout: OHIF_LOAD_MS });
  const viewport = page.locator('.cornerstone-viewport-element').first();
  await viewport.waitFor({ timeout: OHIF_LOAD_MS });
  const stats = greyStats(decodePng(await viewport.screenshot()));
  assert.ok(stats.std > 20 && stats.mean > 5, `viewport looks blank: ${JSON.stringify(stats)}`);
}

/** How many models the repository's registry (served at /models/) lists. */
function installedModels(): number {
  const index = path.join(MODELS_DIR, 'index.json');
  if (!existsSync(index)) return 0;
  return (JSON.parse(readFileSync(index, 'utf8')) as { models?: unknown[] }).models?.length ?? 0;
}

function assertCleanSession(session: BrowserSession, origin: string) {
  assert.deepEqual(
    session.errors.map((e) => `${e.type}: ${e.text} (${e.url})`),
    [],
    'no console errors or uncaught page errors',
  );
  assert.deepEqual(session.foreignRequests(origin), [], 'no request to another origin');
}

describe('viewer smoke', { timeout: 600_000 }, () => {
  let stack: Stack;
  let study: string;
  let patientId: string;
  let instances: number;

  before(async () => {
    stack = await startStack({ log: (line) => console.log(`# ${line}`) });
    const uid = stack.phantomStudy ?? stack.realStudy;
    assert.ok(uid, 'a study was uploaded (the phantom, or the real series from ../shared/data)');
    study = uid;
    const [found] = await qido(stack.orthanc.dicomWebUrl, 'studies', { StudyInstanceUID: study });
    assert.ok(found);
    patientId = firstString(found, TAG.PatientID) ?? '';
    instances = Number(firstString(found, TAG.NumberOfStudyRelatedInstances));
    await storeCopyAsModality(stack.orthanc, study, 'MR', NOT_CT_PATIENT);
  });
  after(async () => {
    await stack?.stop();
  });

  test('study list offers our mode for the CT study only; the mode shows the CT, scrolls, and shows our panel', async () => {
    const session = await launchBrowser();
    try {
      const { page } = session;
      await page.goto(`${stack.viewer.url}/`);
      await page.getByText(patientId, { exact: true }).first().waitFor({ timeout: OHIF_LOAD_MS });
      assert.equal(
        await page.evaluate(() => crossOriginIsolated),
        true,
        'COOP + COEP make the page isolated',
      );

      // A study without CT is not offered our mode (OHIF's own Segmentation mode is).
      await page.getByText(NOT_CT_PATIENT, { exact: true }).click();
      await page.getByRole('button', { name: 'Segmentation', exact: true }).waitFor({ timeout: 30_000 });
      assert.equal(await page.getByRole('button', { name: DISPLAY_NAME }).count(), 0);

      await page.getByText(patientId, { exact: true }).first().click();
      await page.getByRole('button', { name: DISPLAY_NAME }).click();
      await page.waitForURL((url) => url.pathname === '/organ-tumour-ai', { timeout: OHIF_LOAD_MS });
      assert.equal(new URL(page.url()).searchParams.get('StudyInstanceUIDs'), study);

      const panel = page.getByTestId('organ-tumour-ai-panel');
      await panel.waitFor({ timeout: OHIF_LOAD_MS });
      assert.equal(await panel.getByRole('heading').innerText(), 'Organ & tumour AI');
      const status = panel.getByTestId('model-status');
      await status.waitFor({ timeout: 30_000 });
      if (installedModels() > 0) {
        assert.equal(await status.getAttribute('data-kind'), 'ready');
      } else {
        assert.equal(await status.getAttribute('data-kind'), 'no-model');
        assert.match(await status.innerText(), /No segmentation model is installed/);
      }

      await expectCtDrawn(session, instances);
      // The segmentation mode's tools are active: the mouse wheel scrolls the stack (to mid-abdomen for the picture).
      const middle = Math.ceil(instances / 2);
      await page.locator('.cornerstone-viewport-element').first().hover();
      for (let i = 1; i < middle; i++) await page.mouse.wheel(0, 100);
      await page.getByText(`(${middle}/${instances})`).first().waitFor({ timeout: 60_000 });
      await mkdir(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      assertCleanSession(session, stack.viewer.url);
    } finally {
      await session.close();
    }
  });

  describe('with a model in the registry, and app-config.js listing only the mode', () => {
    let registry: string;
    let viewer: ViewerServer;
    const catalogue = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'models/contseg/catalogue.json'), 'utf8'),
    ) as {
      classes: { name: string; group: string }[];
    };

    before(async () => {
      registry = await mkdtemp(path.join(tmpdir(), 'contseg-registry-'));
      await writeCatalogueRegistry(registry, 'catalogue-preview', '0.0.1');
      // This viewer's app-config.js does not list our extension: the mode loads it from beside itself.
      viewer = await startViewerServer({
        orthancUrl: stack.orthanc.baseUrl,
        modelsDir: registry,
        appConfig: { listExtension: false },
      });
    });
    after(async () => {
      await viewer?.close();
      if (registry) await rm(registry, { recursive: true, force: true });
    });

    test('the panel lists the model classes, its search finds them by name and synonym, it keeps the ticks across tab switches', async () => {
      const session = await launchBrowser();
      try {
        const { page } = session;
        await page.goto(`${viewer.url}/organ-tumour-ai?StudyInstanceUIDs=${study}`);
        const panel = page.getByTestId('organ-tumour-ai-panel');
        await panel.getByTestId('prompt-list').waitFor({ timeout: OHIF_LOAD_MS });
        const total = catalogue.classes.length;
        assert.equal(await panel.getByTestId('model-select').inputValue(), 'catalogue-preview');
        const names = () =>
          panel.getByTestId('prompt-option').evaluateAll((els) => els.map((e) => e.dataset.name));
        // Grouped as the catalogue groups them (organs, GI tract, vessels, tumours), catalogue order within a group.
        assert.deepEqual(
          await names(),
          groupPrompts(catalogue.classes).flatMap((g) => g.classes.map((c) => c.name)),
        );
        assert.deepEqual(
          await panel.getByTestId('prompt-group').evaluateAll((els) => els.map((e) => e.dataset.group)),
          ['organs', 'gi tract', 'vessels', 'tumours'],
        );
        assert.equal(await panel.getByTestId('prompt-summary').innerText(), `0 of ${total} selected`);

        const search = panel.getByTestId('prompt-search');
        await search.fill('IVC');
        assert.deepEqual(await names(), ['inferior vena cava']);
        assert.match(await panel.getByTestId('prompt-option').innerText(), /\(IVC\)/);
        await search.fill('hepatic');
        assert.deepEqual(await names(), ['liver tumour']);
        await search.fill('liver');
        assert.deepEqual(await names(), ['liver', 'liver tumour']);
        await panel.getByTestId('prompt-option').first().click();
        assert.match(
          await panel.getByTestId('prompt-summary').innerText(),
          new RegExp(`^1 of ${total} selected`),
        );
        await mkdir(path.dirname(PANEL_SCREENSHOT), { recursive: true });
        await page.screenshot({ path: PANEL_SCREENSHOT });
        await search.fill('femur');
        await panel.getByTestId('prompt-no-match').waitFor();
        await search.fill('');
        assert.equal((await names()).length, total);

        // Switching to OHIF's segmentation tab and back unmounts and remounts our React root; the ticks survive.
        await page.locator('[data-cy="panelSegmentationWithToolsLabelMap-btn"]').click();
        await panel.waitFor({ state: 'detached' });
        await page.locator('[data-cy="organTumourAI-btn"]').click();
        await panel.getByTestId('prompt-list').waitFor();
        assert.equal(
          await panel.getByTestId('prompt-summary').innerText(),
          `1 of ${total} selected`,
          'ticks kept',
        );
        assert.equal(await panel.locator('[data-name="liver"] input').isChecked(), true);

        await expectCtDrawn(session, instances);
        assertCleanSession(session, viewer.url);
      } finally {
        await session.close();
      }
    });
  });
});
