// Integration of the `contseg` command line (extension/src/dicom/cli.ts) as a real process: a real Orthanc holding
// the real CT series, the engine's tiny real model (liver = HU > 80), the SEG written, stored and found by QIDO-RS;
// exit codes 0/1/2 and an Authorization value that never appears in the output.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DicomWebSource } from '../../extension/src/dicom/dicomweb.ts';
import { nodeXhr } from '../../extension/src/dicom/dicomweb-node.ts';
import { stowFolder } from '../harness/dicomweb.ts';
import { freePort, startOrthanc, type Orthanc } from '../harness/orthanc.ts';
import { pythonFixture } from '../extension/engine/python-fixture.ts';
import { NO_REAL_DATA, REAL_J2K } from '../extension/dicom/fixtures.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(root, 'extension/src/dicom/cli.ts');
const SECRET = 'Bearer contseg-test-secret-7f3a';
const NO_PYTHON = existsSync(path.join(root, 'models/.venv/bin/python'))
  ? false
  : 'no models/.venv for the tiny model';

function contseg(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 240_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('contseg CLI', { skip: NO_REAL_DATA || NO_PYTHON, timeout: 400_000 }, () => {
  let orthanc: Orthanc;
  let study: string;
  let model: string;
  let work: string;

  before(async () => {
    model = pythonFixture('tiny_model.py');
    orthanc = await startOrthanc();
    [study] = (await stowFolder(orthanc.dicomWebUrl, REAL_J2K)) as [string];
    work = await mkdtemp(path.join(tmpdir(), 'contseg-cli-'));
  });
  after(async () => {
    await orthanc?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('classes lists the model classes (exit 0)', async () => {
    const run = await contseg(['classes', '--model', model, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const listed = JSON.parse(run.stdout) as { classes: { name: string }[] };
    assert.deepEqual(
      listed.classes.map((c) => c.name),
      ['liver', 'liver tumour', 'spleen'],
    );
  });

  test('segment --store: SEG written and stored, QIDO finds it, progress on stderr, secret never printed', async () => {
    const out = path.join(work, 'seg.dcm');
    const run = await contseg(
      [
        'segment',
        '--dicomweb',
        orthanc.dicomWebUrl,
        '--study',
        study,
        '--classes',
        'liver,hepatic tumour',
      ].concat(['--model', model, '--backend', 'wasm', '--out', out, '--store', '--json']),
      { CONTSEG_AUTHORIZATION: SECRET, CONTSEG_CACHE: path.join(work, 'cache') },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.ok(
      !run.stdout.includes(SECRET) && !run.stderr.includes(SECRET),
      'the Authorization value was printed',
    );
    assert.match(run.stderr, /read frames 100%/);
    assert.match(run.stderr, /Stored the segmentation in the PACS\./);
    const summary = JSON.parse(run.stdout) as {
      classes: { name: string; voxels: number }[];
      seg: { path: string; seriesInstanceUID: string };
      store: { stored: boolean; status: number };
    };
    assert.deepEqual(
      summary.classes.map((c) => c.name),
      ['liver', 'liver tumour'],
    );
    assert.ok((summary.classes[0]?.voxels ?? 0) > 0, 'the tiny model finds liver (HU > 80) voxels');
    assert.deepEqual(summary.store, {
      stored: true,
      status: 200,
      message: 'Stored the segmentation in the PACS.',
    });
    assert.ok((await readFile(out)).byteLength > 0);
    const series = await new DicomWebSource({ url: orthanc.dicomWebUrl, createXhr: nodeXhr }).searchSeries(
      study,
    );
    assert.equal(series.find((s) => s.seriesInstanceUID === summary.seg.seriesInstanceUID)?.modality, 'SEG');
  });

  test('an unknown class exits 2 with a suggestion, before any image is read', async () => {
    const run = await contseg(
      [
        'segment',
        '--dicomweb',
        orthanc.dicomWebUrl,
        '--study',
        study,
        '--classes',
        'livre',
        '--model',
        model,
      ],
      { CONTSEG_CACHE: path.join(work, 'cache') },
    );
    assert.equal(run.code, 2);
    assert.match(run.stderr, /this model does not know the class "livre"; did you mean "liver"\?/);
    assert.doesNotMatch(run.stderr, /read frames/);
  });

  test('a PACS that is down exits 1 naming the address; no usage error', async () => {
    const url = `http://127.0.0.1:${await freePort()}/dicom-web`;
    const run = await contseg(
      ['segment', '--dicomweb', url, '--study', study, '--classes', 'liver', '--model', model],
      {
        CONTSEG_CACHE: path.join(work, 'cache'),
      },
    );
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`cannot connect to ${url.replace(/[.]/g, '\\.')}/studies/`));
  });

  test('bad usage exits 2 with the usage text; Authorization over plain http to a remote host is refused', async () => {
    const none = await contseg([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no command given\nusage:/);
    const remote = await contseg(
      [
        'segment',
        '--dicomweb',
        'http://pacs.invalid/dicom-web',
        '--study',
        '1.2',
        '--classes',
        'liver',
      ].concat(['--model', model]),
      { CONTSEG_AUTHORIZATION: SECRET },
    );
    assert.equal(remote.code, 2);
    assert.match(
      remote.stderr,
      /refusing to send the Authorization header over plain http to pacs\.invalid; use https/,
    );
    assert.ok(!remote.stderr.includes(SECRET));
  });
});
