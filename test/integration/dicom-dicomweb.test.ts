// Integration of extension/src/dicom with a real Orthanc PACS: QIDO-RS search, WADO-RS series to Volume (JPEG 2000
// decoded here), DICOM SEG written and stored by STOW-RS then found by QIDO-RS and read back, and every failed store
// (rejected, PACS down, no answer, server error) giving its user message with the SEG bytes kept.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { nodeCodecWasm } from '../../extension/src/dicom/codec-wasm-node.ts';
import { DicomWebSource } from '../../extension/src/dicom/dicomweb.ts';
import { nodeXhr } from '../../extension/src/dicom/dicomweb-node.ts';
import { FrameDecoder } from '../../extension/src/dicom/frame-decode.ts';
import { loadSeriesVolume, type LoadedSeries } from '../../extension/src/dicom/load-series.ts';
import { readPart10Image } from '../../extension/src/dicom/part10.ts';
import { readSegmentation } from '../../extension/src/dicom/seg-read.ts';
import { writeSegmentation, type WrittenSeg } from '../../extension/src/dicom/seg-write.ts';
import { planSeries } from '../../extension/src/dicom/series-geometry.ts';
import { storeSegmentation } from '../../extension/src/dicom/stow.ts';
import { buildVolume } from '../../extension/src/dicom/volume-build.ts';
import { stowFolder } from '../harness/dicomweb.ts';
import { gridToBoxed } from '../../extension/src/engine/boxed.ts';
import { freePort, startOrthanc, type Orthanc } from '../harness/orthanc.ts';
import {
  NO_REAL_DATA,
  REAL_J2K,
  REAL_RAW,
  readFolder,
  syntheticSeries,
  writePart10,
} from '../extension/dicom/fixtures.ts';

const decoder = new FrameDecoder(nodeCodecWasm);
const KEPT = 'The segmentation was not lost: download the SEG file or retry.';
const LIVER = {
  label: 'liver',
  category: { scheme: 'SCT', value: '123037004', meaning: 'Anatomical Structure' },
  type: { scheme: 'SCT', value: '10200004', meaning: 'Liver' },
  colour: [221, 130, 101] as [number, number, number],
};

/** A SEG with one box-shaped liver segment on the loaded series' grid. */
function boxSeg(loaded: LoadedSeries): { seg: WrittenSeg; mask: Uint8Array } {
  const [x, y, z] = loaded.plan.dims;
  const mask = new Uint8Array(x * y * z);
  for (let k = 1; k < z - 1; k++)
    for (let j = Math.floor(y / 4); j < y / 2; j++)
      for (let i = Math.floor(x / 4); i < x / 2; i++) mask[i + x * (j + y * k)] = 1;
  const seg = writeSegmentation({
    plan: loaded.plan,
    segments: [{ ...LIVER, mask: gridToBoxed(mask, loaded.plan.dims) }],
    algorithm: { id: 'contseg-test-model', version: '0.1.0' },
  });
  return { seg, mask };
}

/** Starts a loopback HTTP server answering every request with `status` and `body`; returns its URL. */
async function fixedAnswerServer(status: number, body: string) {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status, { 'Content-Type': 'application/dicom+json' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/dicom-web`,
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('DICOMweb with a real Orthanc', { timeout: 300_000 }, () => {
  let orthanc: Orthanc;
  let source: DicomWebSource;
  let studyUid: string;
  let loaded: LoadedSeries;
  let workDir: string;

  before(async () => {
    orthanc = await startOrthanc();
    source = new DicomWebSource({ url: orthanc.dicomWebUrl, createXhr: nodeXhr, timeoutMs: 30_000 });
    workDir = await mkdtemp(path.join(tmpdir(), 'contseg-dicomweb-'));
    let folder = REAL_J2K;
    if (NO_REAL_DATA) {
      folder = workDir;
      for (const [n, ds] of syntheticSeries({ columns: 32, rows: 24, slices: 6 }).entries()) {
        await writeFile(path.join(workDir, `${n}.dcm`), new Uint8Array(writePart10(ds)));
      }
    }
    [studyUid] = (await stowFolder(orthanc.dicomWebUrl, folder)) as [string];
  });
  after(async () => {
    await orthanc?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  test('QIDO-RS finds the stored study and its CT series', async () => {
    const studies = await source.searchStudies({ StudyInstanceUID: studyUid });
    assert.equal(studies.length, 1);
    assert.equal(studies[0]?.patientID, NO_REAL_DATA ? 'SYNTH001' : 'TSEXAMPLE001');
    const series = await source.searchSeries(studyUid);
    assert.equal(series.length, 1);
    assert.equal(series[0]?.modality, 'CT');
  });

  test('WADO-RS series becomes a volume (real series: JPEG 2000 travels compressed, decodes to the uncompressed files)', async () => {
    const [series] = await source.searchSeries(studyUid);
    const stages = new Set<string>();
    loaded = await loadSeriesVolume(source, studyUid, series?.seriesInstanceUID as string, {
      decoder,
      onProgress: (p) => stages.add(`${p.stage} ${p.done}/${p.total}`),
    });
    assert.ok(stages.has(`frames ${loaded.plan.dims[2]}/${loaded.plan.dims[2]}`));
    if (NO_REAL_DATA) return;
    const first = loaded.plan.slices[0];
    const frame = await source.frame(
      studyUid,
      first?.seriesInstanceUID as string,
      first?.sopInstanceUID as string,
    );
    assert.equal(frame.transferSyntaxUID, '1.2.840.10008.1.2.4.90', 'the frame travelled as JPEG 2000');
    assert.deepEqual(loaded.volume.dims, [512, 512, 20]);
    const images = (await readFolder(REAL_RAW)).map((f) => f.image);
    const plan = planSeries(images.map((im) => im.header));
    const fromDisk = await buildVolume(
      plan,
      async (slice) => {
        const im = images.find((m) => m.header.sopInstanceUID === slice.sopInstanceUID);
        return { bytes: im?.frame as Uint8Array, transferSyntaxUID: im?.header.transferSyntaxUID as string };
      },
      decoder,
    );
    assert.deepEqual(loaded.volume.origin, fromDisk.origin);
    assert.ok(
      loaded.volume.voxels.every((v, n) => v === fromDisk.voxels[n]),
      'voxels differ',
    );
  });

  test('STOW-RS stores the SEG (200), QIDO-RS finds the SEG series, and it reads back voxel for voxel', async () => {
    const { seg, mask } = boxSeg(loaded);
    const outcome = await storeSegmentation(source, seg);
    assert.equal(outcome.stored, true, outcome.message);
    assert.equal(outcome.message, 'Stored the segmentation in the PACS.');
    assert.equal(outcome.stored && outcome.status, 200);
    const series = await source.searchSeries(studyUid);
    const segSeries = series.find((s) => s.seriesInstanceUID === seg.seriesInstanceUID);
    assert.equal(segSeries?.modality, 'SEG');
    const file = await source.instance(studyUid, seg.seriesInstanceUID, seg.sopInstanceUID);
    const back = readSegmentation(file, loaded.plan);
    assert.ok(
      back.segments[0]?.mask.every((v, n) => v === mask[n]),
      'mask differs after the PACS round trip',
    );
  });

  test('a STOW-RS the PACS refuses (HTTP 403) gives the refusal message and keeps the SEG bytes', async () => {
    const { seg } = boxSeg(loaded);
    const copy = seg.bytes.slice(0);
    await orthanc.setRefuseStow(true);
    try {
      const outcome = await storeSegmentation(source, seg);
      assert.equal(outcome.stored, false);
      if (outcome.stored) return;
      assert.equal(outcome.failure, 'unauthorized');
      assert.equal(outcome.status, 403);
      assert.match(
        outcome.message,
        /^The PACS refused to store the segmentation \(HTTP 403: not allowed.*\); check your login and permissions\. /,
      );
      assert.ok(outcome.message.endsWith(KEPT));
      assert.deepEqual(new Uint8Array(outcome.bytes), new Uint8Array(copy));
      assert.equal(outcome.fileName, `seg-${seg.sopInstanceUID}.dcm`);
    } finally {
      await orthanc.setRefuseStow(false);
    }
    const series = await source.searchSeries(studyUid);
    assert.ok(
      !series.some((s) => s.seriesInstanceUID === seg.seriesInstanceUID),
      'the refused SEG is not stored',
    );
  });

  test('a SEG sent to another study gets 409 from Orthanc: exact message with the reason, bytes kept', async () => {
    const { seg } = boxSeg(loaded);
    const outcome = await storeSegmentation(source, { ...seg, studyInstanceUID: '1.2.3.4.5.6.7.8.9' });
    assert.equal(outcome.stored, false);
    if (outcome.stored) return;
    assert.equal(outcome.failure, 'refused');
    // Orthanc answers 409 with FailureReason 0x0110 for an instance outside the study of the URL (PS3.18 10.5.3).
    assert.equal(outcome.status, 409);
    assert.equal(
      outcome.message,
      `The PACS refused the segmentation (HTTP 409 Conflict: processing failure (0x0110)). ${KEPT}`,
    );
    assert.equal(readPart10Image(outcome.bytes).header.sopInstanceUID, seg.sopInstanceUID);
  });
});

describe('STOW-RS failures without a working PACS', { timeout: 60_000 }, () => {
  const synthetic = () => {
    const plan = planSeries(syntheticSeries().map((ds) => readPart10Image(writePart10(ds)).header));
    const [x, y, z] = plan.dims;
    const mask = new Uint8Array(x * y * z).fill(1, 0, x * y);
    return writeSegmentation({
      plan,
      segments: [{ ...LIVER, mask: gridToBoxed(mask, plan.dims) }],
      algorithm: { id: 'm', version: '1' },
    });
  };

  test('PACS down (closed port): "Cannot reach the PACS" and the SEG bytes are returned', async () => {
    const url = `http://127.0.0.1:${await freePort()}/dicom-web`;
    const seg = synthetic();
    const outcome = await storeSegmentation(new DicomWebSource({ url, createXhr: nodeXhr }), seg);
    assert.equal(outcome.stored, false);
    if (outcome.stored) return;
    assert.equal(outcome.failure, 'unreachable');
    assert.equal(
      outcome.message,
      `Cannot reach the PACS at ${url}: it is down or the address is wrong. ${KEPT}`,
    );
    assert.equal(outcome.bytes, seg.bytes);
  });

  test('PACS that accepts the connection but never answers: timeout message after timeoutMs', async () => {
    const sockets: Socket[] = [];
    const server = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/dicom-web`;
    try {
      const started = Date.now();
      const outcome = await storeSegmentation(
        new DicomWebSource({ url, createXhr: nodeXhr, timeoutMs: 500 }),
        synthetic(),
      );
      assert.ok(Date.now() - started < 5000);
      assert.equal(outcome.stored, false);
      if (outcome.stored) return;
      assert.equal(outcome.failure, 'timeout');
      assert.equal(
        outcome.message,
        `The PACS at ${url} did not answer in time; the segmentation may not have been stored. ${KEPT}`,
      );
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  for (const [status, body, failure, message] of [
    [
      503,
      '',
      'server-error',
      `The PACS failed while storing the segmentation (HTTP 503); retry later. ${KEPT}`,
    ],
    [
      409,
      JSON.stringify({ '00081198': { vr: 'SQ', Value: [{ '00081197': { vr: 'US', Value: [0xa900] } }] } }),
      'refused',
      `The PACS refused the segmentation (HTTP 409 Conflict: data set does not match the SOP class (0xA900)). ${KEPT}`,
    ],
    [
      413,
      '',
      'refused',
      `The PACS did not store the segmentation (HTTP 413: the file is too large for this PACS). ${KEPT}`,
    ],
  ] as const) {
    test(`a PACS answering HTTP ${status} gives the exact ${failure} message`, async () => {
      const server = await fixedAnswerServer(status, body);
      try {
        const outcome = await storeSegmentation(
          new DicomWebSource({ url: server.url, createXhr: nodeXhr }),
          synthetic(),
        );
        assert.equal(outcome.stored, false);
        if (outcome.stored) return;
        assert.equal(outcome.failure, failure);
        assert.equal(outcome.status, status);
        assert.equal(outcome.message, message);
      } finally {
        await server.close();
      }
    });
  }

  test('a PACS answering 202 with a warning reason: stored, with the warning in the message', async () => {
    const body = JSON.stringify({ '00081196': { vr: 'US', Value: [0xb000] } });
    const server = await fixedAnswerServer(202, body);
    try {
      const outcome = await storeSegmentation(
        new DicomWebSource({ url: server.url, createXhr: nodeXhr }),
        synthetic(),
      );
      assert.equal(outcome.stored, true);
      assert.equal(outcome.stored && outcome.status, 202);
      assert.equal(
        outcome.message,
        'Stored the segmentation in the PACS with warnings: coercion of data elements (0xB000).',
      );
    } finally {
      await server.close();
    }
  });
});
