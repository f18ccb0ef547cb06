// End to end in Debian Chromium against a real Orthanc: a radiologist's whole path through our panel. Opens the
// phantom study in our mode, finds classes by typing (a name and a SNOMED CT code), ticks liver + liver tumour +
// spleen, starts a run and cancels it (the panel is ready again, nothing is left in the viewer), runs the model
// (engine in a Web Worker, WASM on this machine, on the voxels OHIF already decoded), sees the segments in the
// viewport with non-zero volumes, hides and shows a class on each labelmap layer (the viewport's pixels change and
// come back), paints with OHIF's brush, shows and hides the confidence view, stores the DICOM SEG
// to the PACS through OHIF's data source, confirms by QIDO that the SEG series exists and holds, voxel for voxel, the
// engine's masks plus the painted voxels, and reopens the study and loads the SEG in OHIF: the labelmaps OHIF builds
// from it equal what was stored (Dice 1.000 per segment); no console error and no request to another origin. A PACS
// answering 503 to the first store (the browser's request fulfilled with that answer) shows the failure message with
// Download SEG and Retry, and Retry stores it. The real CT series (when ../shared exists) goes through run, store and
// reopen with the same voxel-by-voxel check.
// Screenshots of each step go to SCREENSHOT_DIR (docs/screenshots/ with CONTSEG_DOCS_SCREENSHOTS=1; the user guide
// shows them), taken with the main model (the last of MODELS).
//
// Models: the registry at $CONTSEG_E2E_REGISTRY alone when set. Otherwise the phantom test runs twice, each on its
// own Orthanc: with the engine's tiny test model (a real ONNX backbone + heads,
// test/extension/engine/fixtures/tiny_model.py, whose known outputs exercise every feature: a tumour inside its liver
// on a second layer, unsure bands) and with the release registry models/registry (what a radiologist gets; the main
// model, which also runs the real series).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { launchBrowser, type BrowserSession } from '../harness/browser.ts';
import { firstString, qido, TAG } from '../harness/dicomweb.ts';
import {
  dice,
  readViewerSegmentations,
  segmentVoxels,
  type ViewerSegmentation,
} from '../harness/viewer-labelmaps.ts';
import { SCREENSHOT_DIR } from '../harness/screenshots.ts';
import { REAL_SERIES, startStack, type Stack } from '../harness/stack.ts';
import { REPO_ROOT, startViewerServer, type ViewerServer } from '../harness/viewer-server.ts';
import { changedPixels, overlayPixels, screenshotWhen } from './viewport-pixels.ts';
import { pythonFixture } from '../extension/engine/python-fixture.ts';
import { DicomWebSource } from '../../extension/src/dicom/dicomweb.ts';
import { nodeXhr } from '../../extension/src/dicom/dicomweb-node.ts';
import { readSegmentation } from '../../extension/src/dicom/seg-read.ts';
import { planSeries, type SeriesPlan } from '../../extension/src/dicom/series-geometry.ts';
import { sliceHeaderFromDicomJson } from '../../extension/src/dicom/slice-header.ts';

const OHIF_LOAD_MS = 120_000;
const RUN_MS = 480_000;
const SHOTS = SCREENSHOT_DIR;
const CLASSES = ['liver', 'liver tumour', 'spleen'];
/** Classes run on the real series (20 slices of an abdominal CT). */
const REAL_CLASSES = ['liver', 'spleen'];

/**
 * A registry folder listing the engine's tiny test model: linked, or copied with one byte of the spleen's class
 * file flipped (`damaged`).
 */
async function tinyRegistry(damaged = false): Promise<string> {
  const registry = await mkdtemp(path.join(tmpdir(), 'contseg-e2e-registry-'));
  const model = path.join(registry, 'tiny-test');
  if (!damaged) await symlink(pythonFixture('tiny_model.py'), model);
  else {
    await cp(pythonFixture('tiny_model.py'), model, { recursive: true });
    const file = path.join(model, 'classes', 'spleen.f32');
    const bytes = await readFile(file);
    bytes[0]! ^= 0xff;
    await writeFile(file, bytes);
  }
  const index = { models: [{ id: 'tiny-test', version: '0.0.1', path: 'tiny-test/manifest.json' }] };
  await writeFile(path.join(registry, 'index.json'), JSON.stringify(index));
  return registry;
}

/** The viewport's picture once it has stopped changing (two screenshots 0.5 s apart are the same). */
const steadyScreenshot = async (viewport: Locator) => {
  let last = await viewport.screenshot();
  return screenshotWhen(viewport, (png) => {
    const same = changedPixels(last, png) === 0;
    last = png;
    return same;
  });
};

/**
 * Hide and Show of one result row as the viewport draws them on the slice shown: Hide changes the pixels of the
 * class's overlay, Show brings back the very same picture. Returns the pixels Hide changed.
 */
async function hideAndShow(panel: Locator, viewport: Locator, name: string): Promise<number> {
  const shown = await steadyScreenshot(viewport);
  await panel.getByRole('button', { name: `Hide ${name}`, exact: true }).click();
  const hidden = await screenshotWhen(viewport, (png) => changedPixels(shown, png) > 50);
  const changed = changedPixels(shown, hidden);
  assert.ok(changed > 50, `hiding the ${name} changes its overlay (${changed} pixels changed)`);
  await panel.getByRole('button', { name: `Show ${name}`, exact: true }).click();
  const back = await screenshotWhen(viewport, (png) => changedPixels(shown, png) === 0);
  assert.equal(changedPixels(shown, back), 0, `showing the ${name} again draws the picture it had`);
  return changed;
}

/** The labelmap layer (1, 2, ...) each class of our run's segmentations is on. */
const layerOfClass = (segmentations: ViewerSegmentation[]) =>
  new Map(
    aiLayers(segmentations).flatMap((s) =>
      Object.keys(s.segments).map((name) => [name, Number(/\(layer (\d+)\)$/.exec(s.label)?.[1] ?? 1)]),
    ),
  );

/** The CT series' slice plan (slice k -> SOP Instance UID) and its voxel volume in mL. */
async function ctGrid(dicomWebUrl: string, study: string) {
  const source = new DicomWebSource({ url: dicomWebUrl, createXhr: nodeXhr });
  const series = await source.searchSeries(study);
  const ct = series.find((s) => s.modality === 'CT');
  assert.ok(ct, 'the study has its CT series');
  const plan = planSeries(
    (await source.seriesMetadata(study, ct.seriesInstanceUID)).map(sliceHeaderFromDicomJson),
  );
  return { source, plan, voxelMl: plan.spacing.reduce((a, b) => a * b, 1) / 1000 };
}

/** Voxels of a mask on the plan's grid as "SOP:pixel" keys, the form the viewer's labelmaps are read in. */
function maskVoxels(mask: Uint8Array, plan: SeriesPlan): Set<string> {
  const sliceSize = plan.dims[0] * plan.dims[1];
  const out = new Set<string>();
  mask.forEach((v, n) => {
    if (v) out.add(`${plan.slices[Math.floor(n / sliceSize)]!.sopInstanceUID}:${n % sliceSize}`);
  });
  return out;
}

/** The study's one stored SEG read back on the CT series' grid: each segment's voxels, and its algorithm. */
async function storedSeg(dicomWebUrl: string, study: string, segSeries: string) {
  const { source, plan, voxelMl } = await ctGrid(dicomWebUrl, study);
  const [segInstance] = await qido(dicomWebUrl, `studies/${study}/series/${segSeries}/instances`);
  const sop = firstString(segInstance!, TAG.SOPInstanceUID)!;
  const seg = readSegmentation(await source.instance(study, segSeries, sop), plan);
  return {
    voxelMl,
    algorithm: seg.segments[0]?.algorithmName,
    voxels: Object.fromEntries(seg.segments.map((sg) => [sg.label, maskVoxels(sg.mask, plan)])),
  };
}

/** The voxels of each named class in the given viewer segmentations. */
const classVoxels = (segmentations: ViewerSegmentation[], names: string[]) =>
  Object.fromEntries(names.map((name) => [name, segmentVoxels(segmentations, name)]));

/** Our run's segmentations (labelled "AI: <model> <version>", one per layer). */
const aiLayers = (segmentations: ViewerSegmentation[]) =>
  segmentations.filter((s) => s.label.startsWith('AI: '));

const sameMl = (a: number, b: number) => Math.abs(a - b) < 1e-6 * Math.max(1, b);

/**
 * The voxels of each found class in our run's layers, checked against the panel's rows: each class's voxel count
 * times the voxel volume is the volume the engine reported.
 */
async function engineMasksShown(page: Page, rows: { name?: string; ml: number }[], voxelMl: number) {
  const found = rows.filter((r) => r.ml > 0);
  const masks = classVoxels(
    aiLayers(await readViewerSegmentations(page)),
    found.map((r) => r.name!),
  );
  for (const row of found) {
    const ml = masks[row.name!]!.size * voxelMl;
    assert.ok(sameMl(ml, row.ml), `${row.name}: viewer ${ml} mL, engine ${row.ml} mL`);
  }
  return masks;
}

/** Asserts that every class's voxels are the same in both (Dice 1.000) and returns the Dice values for the log. */
function assertSameVoxels(
  actual: Record<string, Set<string>>,
  expected: Record<string, Set<string>>,
  what: string,
): Record<string, number> {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: the same classes`);
  const scores: Record<string, number> = {};
  for (const [name, voxels] of Object.entries(expected)) {
    scores[name] = dice(actual[name]!, voxels);
    assert.equal(actual[name]!.size, voxels.size, `${what}: ${name} has ${voxels.size} voxels`);
    assert.equal(scores[name], 1, `${what}: Dice of ${name} is ${scores[name]}`);
  }
  return scores;
}

/** Opens the study in our mode and waits for the panel's prompts and the first image. */
async function openStudy(session: BrowserSession, viewerUrl: string, study: string) {
  const { page } = session;
  await page.goto(`${viewerUrl}/organ-tumour-ai?StudyInstanceUIDs=${study}`);
  const panel = page.getByTestId('organ-tumour-ai-panel');
  await panel.getByTestId('prompt-list').waitFor({ timeout: OHIF_LOAD_MS });
  await page.locator('.cornerstone-viewport-element').first().waitFor({ timeout: OHIF_LOAD_MS });
  await page
    .getByText(/\(\d+\/\d+\)/)
    .first()
    .waitFor({ timeout: OHIF_LOAD_MS });
  return panel;
}

/** Reopens the study, loads its SEG in OHIF (double-click on the SEG thumbnail) and waits for its segments. */
async function reopenWithSeg(session: BrowserSession, viewerUrl: string, study: string, names: string[]) {
  const { page } = session;
  await openStudy(session, viewerUrl, study);
  const segThumb = page.getByText('SEG', { exact: true }).first();
  await segThumb.waitFor({ timeout: OHIF_LOAD_MS });
  await segThumb.dblclick();
  const yes = page.getByRole('button', { name: 'Yes' });
  await yes.waitFor({ timeout: 30_000 }).then(
    () => yes.click(),
    () => undefined, // OHIF loaded it without asking
  );
  // OHIF's own segmentation panel (not ours) lists the SEG's segments by our class names.
  await page.waitForFunction(
    (labels) =>
      labels.every((name) =>
        [...document.querySelectorAll('body *')].some(
          (el) =>
            el.childElementCount === 0 &&
            el.textContent?.trim() === name &&
            !el.closest('[data-testid="organ-tumour-ai-panel"]'),
        ),
      ),
    names,
    { timeout: 60_000 },
  );
  await page.waitForTimeout(1000);
  return readViewerSegmentations(page);
}

/** A model the phantom test runs with. */
interface E2eModel {
  label: string;
  /** The engine's tiny test model: its outputs are known (a tumour inside its liver, unsure bands, one step). */
  tiny: boolean;
  /** Registry folder; undefined: a registry of the tiny model made for the run. */
  registry?: string;
}

const RELEASE_REGISTRY = path.join(REPO_ROOT, 'models', 'registry');
/**
 * $CONTSEG_E2E_REGISTRY alone when set; otherwise the tiny test model (known outputs check each feature of the panel)
 * and the release registry (what a radiologist gets, ~2 min on the phantom here).
 */
const MODELS: E2eModel[] = process.env.CONTSEG_E2E_REGISTRY
  ? [
      {
        label: `the registry at ${process.env.CONTSEG_E2E_REGISTRY}`,
        tiny: false,
        registry: process.env.CONTSEG_E2E_REGISTRY,
      },
    ]
  : [
      { label: 'the tiny test model', tiny: true },
      ...(existsSync(path.join(RELEASE_REGISTRY, 'index.json'))
        ? [{ label: 'the release registry (models/registry)', tiny: false, registry: RELEASE_REGISTRY }]
        : []),
    ];
/**
 * The ticked classes a model is expected not to find on the phantom: those its own manifest measured at Dice 0 on
 * held-out phantoms (`metrics['phantom-holdout'].dicePostprocessed`), e.g. the liver tumour of abdomen-fast 1.1.0
 * (docs/models.md). The tiny model's known outputs hold every class. A model finding fewer classes than its card
 * fails the test, and so does one finding a class its card says it cannot (the card is then stale).
 */
async function classesMeasuredAbsent(registry: string): Promise<string[]> {
  const index = JSON.parse(await readFile(path.join(registry, 'index.json'), 'utf8')) as {
    models: { path: string }[];
  };
  const manifest = JSON.parse(await readFile(path.join(registry, index.models[0]!.path), 'utf8')) as {
    metrics?: Record<string, { dicePostprocessed: Record<string, number | null> }>;
  };
  const dice = manifest.metrics?.['phantom-holdout']?.dicePostprocessed ?? {};
  return CLASSES.filter((name) => dice[name] === 0);
}

/** The last model takes the user guide's screenshots and runs the real series: the release model when present. */
const MAIN_MODEL = MODELS.at(-1)!;

const screenshot = (session: BrowserSession, name: string) =>
  session.page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

for (const model of MODELS)
  describe(`segment and store with ${model.label}`, { timeout: 1_800_000 }, () => {
    let stack: Stack;
    let viewer: ViewerServer;
    let registry: string;
    let study: string;
    let session: BrowserSession;
    const ownRegistry = model.registry === undefined;
    const shot = (s: BrowserSession, name: string) =>
      model === MAIN_MODEL ? screenshot(s, name) : undefined;

    before(async () => {
      stack = await startStack({ log: (line) => console.log(`# ${line}`), realSeries: model === MAIN_MODEL });
      assert.ok(stack.phantomStudy, 'the phantom study was generated and uploaded');
      study = stack.phantomStudy;
      registry = model.registry ?? (await tinyRegistry());
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

    test('prompts by name and SNOMED code, Cancel, run, segments with non-zero volumes, hide/show redraws on each labelmap layer, brush edit, confidence view, store to PACS, SEG = engine masks + painted voxels, reopened in OHIF with Dice 1.000 per segment; no console error, no foreign request', async () => {
      const { page } = session;
      const panel = await openStudy(session, viewer.url, study);
      const viewport = page.locator('.cornerstone-viewport-element').first();

      // 0. The model with its provenance; classes grouped with the step that added each.
      const provenance = await panel.getByTestId('model-provenance').innerText();
      if (model.tiny) assert.equal(provenance, 'Trained in 1 continual step: 1 tiny (full)');
      else assert.match(provenance, /^Trained in \d+ continual steps?: 1 /);
      assert.match(
        await panel.locator('[data-name="liver tumour"] [data-testid="class-step"]').innerText(),
        /^step \d+$/,
      );

      // 1. Find and tick the structures by typing: the liver by its SNOMED CT code (the liver tumour, whose finding
      // site is the liver, comes second), the others by name.
      const search = panel.getByTestId('prompt-search');
      await search.fill('10200004');
      const found = await panel
        .getByTestId('prompt-option')
        .evaluateAll((els) =>
          els.map((e) => [e.dataset.name, e.querySelector('[data-testid="prompt-via"]')?.textContent]),
        );
      assert.deepEqual(found, [
        ['liver', '(SCT 10200004 Liver)'],
        ['liver tumour', '(SCT 10200004 Liver)'],
      ]);
      await panel.locator('[data-name="liver"] input').check();
      await shot(session, 'step1-prompt-code');
      await search.fill('liver');
      await panel.locator('[data-name="liver tumour"] input').check();
      await search.fill('spleen');
      await panel.locator('[data-name="spleen"] input').check();
      await search.fill('');
      await shot(session, 'step1-prompts');
      const run = panel.getByRole('button', { name: 'Segment 3 structures' });

      // 2a. Cancel while the model runs: the worker stops after the window it is computing (the panel hears back from
      // it), the panel is ready to run again, and no segmentation is left in the viewer.
      await run.click();
      await panel.getByText(/Running the model/).waitFor({ timeout: RUN_MS });
      const cancelledAt = Date.now();
      await panel.getByRole('button', { name: 'Cancel' }).click();
      await panel
        .getByTestId('run-section')
        .and(page.locator('[data-phase="cancelled"]'))
        .waitFor({ timeout: RUN_MS });
      const cancelMs = Date.now() - cancelledAt;
      console.log(`# cancel took effect in ${cancelMs} ms`);
      assert.equal(
        await panel.getByTestId('run-message').innerText(),
        'The run was cancelled; nothing was added to the viewer.',
      );
      await run.waitFor();
      assert.equal(await panel.getByTestId('run-progress').count(), 0);
      assert.deepEqual(await readViewerSegmentations(page), [], 'no segmentation left after Cancel');
      await shot(session, 'step2-cancelled');

      // 2b. Run: progress with a stage is shown while the worker runs; the page stays responsive.
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
      assert.deepEqual(rows.map((r) => r.name).sort(), [...CLASSES].sort());
      // Every ticked class must have a volume (the phantom holds a liver, a spleen and two liver tumours). A class the
      // model does not find is listed as "not found" and left out of the viewer and the SEG; the steps below go on
      // with the classes found, and the test fails at its end, so one run shows all that works and what is missing.
      const notFound = rows.filter((r) => r.ml === 0).map((r) => r.name!);
      assert.ok(notFound.length < rows.length, `the model found none of ${CLASSES.join(', ')}`);
      for (const name of notFound) {
        assert.equal(
          await panel.locator(`[data-name="${name}"] [data-testid="result-volume"]`).innerText(),
          'not found',
        );
      }
      const foundNames = rows.filter((r) => r.ml > 0).map((r) => r.name!);
      const first = foundNames[0]!;
      assert.match(await panel.getByTestId('run-summary').innerText(), /on WebAssembly \(CPU\) · [\d.]+ s/);
      // The voxels came from what OHIF had already decoded (cornerstone's cache), not a second download.
      assert.equal(await panel.getByTestId('image-source').getAttribute('data-from'), 'viewer');
      // The engine's masks as OHIF holds them: each class's voxel count is the volume the engine reported.
      const { voxelMl } = await ctGrid(stack.orthanc.dicomWebUrl, study);
      const engineMasks = await engineMasksShown(page, rows, voxelMl);
      // "Go to" moves the viewport to the structure's largest slice, where its overlay is drawn on the CT; Hide and
      // Show change the overlay and bring it back. Checked for the first class and for a class on a second labelmap
      // layer (one that overlaps a class of the first layer, as the test model's tumour inside its liver does).
      const sliceText = () =>
        page
          .getByText(/\(\d+\/\d+\)/)
          .first()
          .innerText();
      const sliceBefore = (await sliceText()).match(/\(\d+\/\d+\)/)![0];
      await panel.getByRole('button', { name: `Go to ${first}`, exact: true }).click();
      await page.waitForFunction((old) => !document.body.innerText.includes(old), sliceBefore, {
        timeout: 10_000,
      });
      const overlay = overlayPixels(await steadyScreenshot(viewport));
      assert.ok(overlay > 50, `segment overlays are drawn on the CT (${overlay} pixels)`);
      const toggled = { [first]: await hideAndShow(panel, viewport, first) };
      const layers = layerOfClass(await readViewerSegmentations(page));
      const upper = foundNames.find((name) => layers.get(name)! > 1);
      if (model.tiny) assert.ok(upper, `a class on a second layer (${JSON.stringify([...layers])})`);
      if (upper) {
        await panel.getByRole('button', { name: `Go to ${upper}`, exact: true }).click();
        await page.waitForTimeout(1000); // the jump starts within a frame; steadyScreenshot then waits for its end
        toggled[upper] = await hideAndShow(panel, viewport, upper);
      }
      console.log(
        `# hide/show: pixels changed per class ${JSON.stringify(toggled)}, layers ${JSON.stringify([...layers])}`,
      );
      await shot(session, 'step3-results');

      // 4. Edit with OHIF's brush (its segmentation panel's Brush tool, a stroke across the viewport): the stroke adds
      // voxels to the active segment on the slice shown, and nothing else changes but the voxels painted over.
      await page.locator('[data-cy="panelSegmentationWithToolsLabelMap-btn"]').click();
      await page.locator('[data-cy="Brush-btn"]').click();
      const box = (await viewport.boundingBox())!;
      const [x0, y0] = [box.x + box.width * 0.3, box.y + box.height * 0.5];
      await page.mouse.move(x0, y0);
      await page.mouse.down();
      for (let step = 1; step <= 10; step++) {
        await page.waitForTimeout(50);
        await page.mouse.move(x0 + step * box.width * 0.02, y0);
      }
      await page.mouse.up();
      await page.waitForTimeout(1000);
      await shot(session, 'step3-brush');
      const edited = classVoxels(aiLayers(await readViewerSegmentations(page)), foundNames);
      const painted = foundNames.flatMap((name) =>
        [...edited[name]!].filter((v) => !engineMasks[name]!.has(v)).map((v) => ({ name, v })),
      );
      assert.ok(painted.length > 20, `the brush stroke painted ${painted.length} voxels`);
      // A labelmap holds one class per voxel: where the stroke crosses another class of the active segment's layer,
      // those voxels now belong to the painted class. No voxel is lost otherwise.
      const paintedVoxels = new Set(painted.map((p) => p.v));
      for (const name of foundNames)
        for (const v of engineMasks[name]!)
          assert.ok(
            edited[name]!.has(v) || paintedVoxels.has(v),
            `the brush removed ${name} voxel ${v} without painting it into another class`,
          );
      const paintedSlices = new Set(painted.map((p) => p.v.split(':')[0]));
      assert.equal(paintedSlices.size, 1, 'the stroke painted on the one slice shown');
      console.log(
        `# brush: ${painted.length} voxels painted into ${[...new Set(painted.map((p) => p.name))].join(', ')}`,
      );
      // Back to OHIF's Window/Level tool: the brush's cursor circle would stay drawn on the viewport.
      await page.locator('[data-cy="WindowLevel-btn"]').first().click();
      await page.locator('[data-cy="organTumourAI-btn"]').click();

      // 5. The confidence view: unsure bands of each class as extra layers, with their volumes; removed again on untick.
      const confidence = panel.getByTestId('confidence');
      await confidence.getByRole('checkbox').check();
      await confidence.and(page.locator('[data-phase="shown"]')).waitFor({ timeout: 60_000 });
      await page.locator('[data-cy="organTumourAI-btn"]').click();
      const unsure = await panel.getByTestId('confidence-class').evaluateAll((els) =>
        els.map((e) => ({
          name: e.dataset.name!,
          included: Number(e.dataset.includedMl),
          leftOut: Number(e.dataset.leftOutMl),
        })),
      );
      if (model.tiny)
        assert.ok(
          unsure.some((c) => c.included > 0 && c.leftOut > 0),
          JSON.stringify(unsure),
        );
      const confidenceLayers = (await readViewerSegmentations(page)).filter((s) =>
        s.label.startsWith('AI confidence: '),
      );
      for (const c of unsure) {
        for (const [band, ml] of [
          ['included, 50–80 %', c.included],
          ['left out, 20–50 %', c.leftOut],
        ] as const) {
          const n = segmentVoxels(confidenceLayers, `${c.name}: ${band}`).size;
          assert.ok(sameMl(n * voxelMl, ml), `${c.name} ${band}: ${n} voxels, panel ${ml} mL`);
        }
      }
      await shot(session, 'step3-confidence');
      await confidence.getByRole('checkbox').uncheck();
      await confidence.and(page.locator('[data-phase="hidden"]')).waitFor({ timeout: 10_000 });
      assert.deepEqual(
        (await readViewerSegmentations(page)).filter((s) => s.label.startsWith('AI confidence: ')),
        [],
        'unticking removes the confidence layers',
      );

      // 6. Store to PACS. The PACS first answers 503: the message says so, Download SEG and Retry are offered.
      const stowUrl = `${viewer.url}/dicom-web/studies/${study}`;
      await page.route(stowUrl, (route) =>
        route.request().method() === 'POST'
          ? route.fulfill({ status: 503, body: 'maintenance' })
          : route.fallback(),
      );
      await panel.getByRole('button', { name: 'Store to PACS' }).click();
      await panel.getByTestId('save').and(page.locator('[data-phase="failed"]')).waitFor({ timeout: 60_000 });
      assert.match(
        await panel.getByTestId('save-message').innerText(),
        /^The PACS failed while storing the segmentation \(HTTP 503: maintenance\); retry later\. The segmentation was not lost/,
      );
      await panel.getByTestId('save-message').scrollIntoViewIfNeeded();
      await page.getByText('Segmentation not stored', { exact: true }).waitFor();
      await page.waitForTimeout(500); // the notification's fade-in
      await shot(session, 'step4-store-failed');
      const download = page.waitForEvent('download');
      await panel.getByRole('button', { name: 'Download SEG' }).click();
      assert.match((await download).suggestedFilename(), /^seg-[\d.]+\.dcm$/);
      await page.unroute(stowUrl);
      // OHIF's notifications (the failure's, then the success's) lie over the panel's lower part: each is let go
      // before the next picture, so the panel's own message shows. A notification under the mouse stays.
      const toast = (title: string) => page.getByText(title, { exact: true });
      const toastGone = async (title: string) => {
        await page.mouse.move(1, 1);
        await toast(title).waitFor({ state: 'hidden', timeout: 30_000 });
      };
      await toastGone('Segmentation not stored');
      await panel.getByRole('button', { name: 'Retry' }).click();
      await panel.getByTestId('save').and(page.locator('[data-phase="stored"]')).waitFor({ timeout: 60_000 });
      assert.equal(
        await panel.getByTestId('save-message').innerText(),
        'Stored the segmentation in the PACS.',
      );
      await toast('Segmentation stored').waitFor({ timeout: 10_000 });
      await toastGone('Segmentation stored');
      await shot(session, 'step4-stored');
      const segSeries = await qido(stack.orthanc.dicomWebUrl, `studies/${study}/series`, { Modality: 'SEG' });
      assert.equal(segSeries.length, 1, 'one SEG series in the study');
      const segUid = firstString(segSeries[0]!, TAG.SeriesInstanceUID);
      assert.ok(segUid);
      // The stored SEG holds, voxel for voxel, the engine's masks with the brush edit (never the confidence layers).
      const stored = await storedSeg(stack.orthanc.dicomWebUrl, study, segUid);
      assert.match(stored.algorithm ?? '', /\S+ \S+/);
      assertSameVoxels(stored.voxels, edited, 'stored SEG vs the edited viewer masks');
      for (const { name, v } of painted)
        assert.ok(stored.voxels[name]!.has(v), `painted voxel ${v} of ${name} stored`);

      // 7. Reopen the study: OHIF loads the stored SEG onto the CT with our class names, and the labelmaps it builds
      // from the SEG are the stored masks, voxel for voxel.
      const reopened = await reopenWithSeg(session, viewer.url, study, foundNames);
      const scores = assertSameVoxels(
        classVoxels(reopened, foundNames),
        stored.voxels,
        'reopened SEG in OHIF',
      );
      console.log(`# phantom, reopened SEG vs stored masks: Dice ${JSON.stringify(scores)}`);
      // The reopened study shows its first slices; a click on a segment in OHIF's own list goes to that segment.
      await page.getByText(first, { exact: true }).filter({ visible: true }).first().click();
      await page.waitForTimeout(1000);
      assert.ok(overlayPixels(await steadyScreenshot(viewport)) > 50, 'the reopened SEG is drawn on the CT');
      await shot(session, 'step5-reopened');

      // The one expected console error is Chromium's line for the 503 the PACS gave to the first store.
      const unexpected = session.errors.filter(
        (e) => !(e.text.includes('status of 503') && e.url.startsWith(stowUrl)),
      );
      assert.deepEqual(
        unexpected.map((e) => `${e.type}: ${e.text} (${e.url})`),
        [],
        'no console errors or uncaught page errors',
      );
      assert.deepEqual(session.foreignRequests(viewer.url), [], 'no request to another origin');
      assert.deepEqual(
        [...notFound].sort(),
        (await classesMeasuredAbsent(registry)).sort(),
        `every ticked class has a non-zero volume, except those the model's card measured at Dice 0: ${JSON.stringify(rows)}`,
      );
    });

    test(
      'the real CT series (JPEG 2000): run, store, reopen in OHIF; the reopened labelmaps equal the engine masks (Dice 1.000 per segment)',
      {
        skip:
          model !== MAIN_MODEL
            ? `run with ${MAIN_MODEL.label}`
            : existsSync(REAL_SERIES)
              ? false
              : `no real series at ${REAL_SERIES}`,
      },
      async () => {
        const realStudy = stack.realStudy;
        assert.ok(realStudy, 'the real series was uploaded');
        const browser = await launchBrowser();
        try {
          const { page } = browser;
          const panel = await openStudy(browser, viewer.url, realStudy);
          for (const name of REAL_CLASSES) {
            await panel.getByTestId('prompt-search').fill(name);
            await panel.locator(`[data-name="${name}"] input`).check();
          }
          await panel.getByTestId('prompt-search').fill('');
          await panel.getByRole('button', { name: `Segment ${REAL_CLASSES.length} structures` }).click();
          await panel.getByTestId('run-result').waitFor({ timeout: RUN_MS });
          assert.equal(await panel.getByTestId('image-source').getAttribute('data-from'), 'viewer');
          const rows = await panel.getByTestId('result-class').evaluateAll((els) =>
            els.map((e) => ({
              name: e.dataset.name!,
              ml: Number(e.querySelector<HTMLElement>('[data-testid="result-volume"]')?.dataset.ml),
            })),
          );
          const foundNames = rows.filter((r) => r.ml > 0).map((r) => r.name);
          assert.ok(foundNames.length > 0, `the model found none of ${REAL_CLASSES.join(', ')}`);
          const { voxelMl } = await ctGrid(stack.orthanc.dicomWebUrl, realStudy);
          const engineMasks = await engineMasksShown(page, rows, voxelMl);
          await panel.getByRole('button', { name: 'Store to PACS' }).click();
          await panel
            .getByTestId('save')
            .and(page.locator('[data-phase="stored"]'))
            .waitFor({ timeout: 60_000 });
          const segSeries = await qido(stack.orthanc.dicomWebUrl, `studies/${realStudy}/series`, {
            Modality: 'SEG',
          });
          assert.equal(segSeries.length, 1, 'one SEG series in the real study');
          const stored = await storedSeg(
            stack.orthanc.dicomWebUrl,
            realStudy,
            firstString(segSeries[0]!, TAG.SeriesInstanceUID)!,
          );
          assertSameVoxels(stored.voxels, engineMasks, 'stored SEG vs the engine masks (real series)');
          const reopened = await reopenWithSeg(browser, viewer.url, realStudy, foundNames);
          const scores = assertSameVoxels(
            classVoxels(reopened, foundNames),
            engineMasks,
            'reopened SEG (real series)',
          );
          console.log(`# real series, reopened SEG vs engine masks: Dice ${JSON.stringify(scores)}`);
          await shot(browser, 'real-series-reopened');
          assert.deepEqual(
            browser.errors.map((e) => `${e.type}: ${e.text} (${e.url})`),
            [],
            'no console errors or uncaught page errors',
          );
          assert.deepEqual(browser.foreignRequests(viewer.url), [], 'no request to another origin');
        } finally {
          await browser.close();
        }
      },
    );

    test(
      'a damaged model file is named in a clear message in the panel (not a blank panel, not only the console)',
      { skip: model !== MODELS[0] ? `run with ${MODELS[0]!.label}` : false },
      async () => {
        const damaged = await tinyRegistry(true);
        const damagedViewer = await startViewerServer({
          orthancUrl: stack.orthanc.baseUrl,
          modelsDir: damaged,
        });
        const browser = await launchBrowser();
        try {
          const panel = await openStudy(browser, damagedViewer.url, study);
          await panel.locator('[data-name="spleen"] input').check();
          await panel.getByRole('button', { name: 'Segment 1 structure' }).click();
          const error = panel.getByTestId('run-error');
          await error.waitFor({ timeout: RUN_MS });
          assert.match(
            await error.innerText(),
            /^The installed model is damaged or incomplete; ask your administrator to reinstall it\. \(classes\/spleen\.f32 does not match the manifest \(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\)/,
          );
          await screenshot(browser, 'error-damaged-model');
          // The Run button is back, so the user can try again once the model is fixed.
          await panel.getByRole('button', { name: 'Segment 1 structure' }).waitFor();
          assert.deepEqual(
            browser.errors.map((e) => `${e.type}: ${e.text} (${e.url})`),
            [],
          );
          assert.deepEqual(browser.foreignRequests(damagedViewer.url), []);
        } finally {
          await browser.close();
          await damagedViewer.close();
          await rm(damaged, { recursive: true, force: true });
        }
      },
    );
  });
