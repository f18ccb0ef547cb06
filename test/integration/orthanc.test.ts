// Integration: the Orthanc fixture is a real PACS. Starting it, storing the real JPEG 2000 CT series by STOW-RS,
// finding it by QIDO-RS, refusing STOW on request, and cleaning up on stop are each proved against the real server.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { firstString, listDicomFiles, qido, stowFolder, TAG } from '../harness/dicomweb.ts';
import { startOrthanc, type Orthanc } from '../harness/orthanc.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const realSeries = path.join(repoRoot, '../shared/data/dicom/totalseg-20slice-j2k');
const haveRealSeries = existsSync(realSeries);

describe('Orthanc fixture', { timeout: 120_000 }, () => {
  let orthanc: Orthanc;

  before(async () => {
    orthanc = await startOrthanc();
  });
  after(async () => {
    await orthanc?.stop();
  });

  test('answers GET /system on a loopback port with the DICOMweb plugin loaded', async () => {
    assert.match(orthanc.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    const system = (await (await fetch(`${orthanc.baseUrl}/system`)).json()) as { Version: string };
    assert.match(system.Version, /^1\./);
    const plugins = (await (await fetch(`${orthanc.baseUrl}/plugins`)).json()) as string[];
    assert.ok(plugins.includes('dicom-web'), `plugins: ${plugins.join(', ')}`);
    assert.ok(plugins.includes('gdcm'), `plugins: ${plugins.join(', ')}`);
    assert.deepEqual(await qido(orthanc.dicomWebUrl, 'studies'), [], 'a fresh Orthanc holds no study');
  });

  test(
    'STOW-RS stores the real 20-slice JPEG 2000 CT series and QIDO-RS finds its study and series',
    { skip: haveRealSeries ? false : `no ${realSeries}` },
    async () => {
      const files = await listDicomFiles(realSeries);
      const studies = await stowFolder(orthanc.dicomWebUrl, realSeries);
      assert.equal(studies.length, 1);
      const [study] = await qido(orthanc.dicomWebUrl, 'studies', { StudyInstanceUID: studies[0]! });
      assert.ok(study, 'QIDO finds the stored study');
      assert.equal(firstString(study, TAG.PatientID), 'TSEXAMPLE001');
      assert.equal(firstString(study, TAG.NumberOfStudyRelatedInstances), String(files.length));
      const series = await qido(orthanc.dicomWebUrl, `studies/${studies[0]}/series`);
      assert.equal(series.length, 1);
      assert.equal(firstString(series[0]!, TAG.Modality), 'CT');
      // GDCM decodes JPEG 2000: a rendered frame comes back as an image.
      const instances = await qido(orthanc.dicomWebUrl, `studies/${studies[0]}/instances`);
      const sop = firstString(instances[0]!, TAG.SOPInstanceUID);
      const seriesUid = firstString(instances[0]!, TAG.SeriesInstanceUID);
      const rendered = await fetch(
        `${orthanc.dicomWebUrl}/studies/${studies[0]}/series/${seriesUid}/instances/${sop}/rendered`,
        { headers: { Accept: 'image/png' } },
      );
      assert.equal(rendered.status, 200);
      assert.match(rendered.headers.get('content-type') ?? '', /^image\//);
    },
  );

  test(
    'setRefuseStow(true) makes STOW-RS fail with HTTP 403 and stores nothing; reads keep working',
    { skip: haveRealSeries ? false : `no ${realSeries}` },
    async () => {
      const before = await qido(orthanc.dicomWebUrl, 'instances');
      await orthanc.setRefuseStow(true);
      try {
        await assert.rejects(stowFolder(orthanc.dicomWebUrl, realSeries), /HTTP 403/);
        assert.equal((await qido(orthanc.dicomWebUrl, 'instances')).length, before.length);
      } finally {
        await orthanc.setRefuseStow(false);
      }
    },
  );

  test('stop() ends the process and removes the temp folder', async () => {
    const other = await startOrthanc({ refuseStow: true });
    assert.ok(existsSync(other.workDir));
    await other.stop();
    assert.equal(existsSync(other.workDir), false);
    await assert.rejects(fetch(`${other.baseUrl}/system`));
  });
});
