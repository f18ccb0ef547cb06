import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { NaturalDataset } from 'dcmjs';
import { nodeCodecWasm } from '../../../extension/src/dicom/codec-wasm-node.ts';
import { DicomError } from '../../../extension/src/dicom/errors.ts';
import { detectTransferSyntax, FrameDecoder } from '../../../extension/src/dicom/frame-decode.ts';
import { readPart10Image, type Part10Image } from '../../../extension/src/dicom/part10.ts';
import { planSeries } from '../../../extension/src/dicom/series-geometry.ts';
import { sliceHeaderFromDataset } from '../../../extension/src/dicom/slice-header.ts';
import { buildVolume } from '../../../extension/src/dicom/volume-build.ts';
import type { Volume } from '../../../extension/src/engine/volume.ts';
import {
  NO_REAL_DATA,
  REAL_J2K,
  REAL_RAW,
  readFolder,
  run,
  syntheticSeries,
  toArrayBuffer,
  transcodeFolder,
  writePart10,
} from './fixtures.ts';

const decoder = new FrameDecoder(nodeCodecWasm);

async function volumeOf(images: Part10Image[]): Promise<Volume> {
  const plan = planSeries(images.map((im) => im.header));
  const byUid = new Map(images.map((im) => [im.header.sopInstanceUID, im]));
  return buildVolume(
    plan,
    async (slice) => {
      const im = byUid.get(slice.sopInstanceUID) as Part10Image;
      return { bytes: im.frame, transferSyntaxUID: im.header.transferSyntaxUID as string };
    },
    decoder,
  );
}

function firstDifference(a: Volume, b: Volume): string | undefined {
  if (a.voxels.length !== b.voxels.length) return `lengths ${a.voxels.length} vs ${b.voxels.length}`;
  for (let n = 0; n < a.voxels.length; n++)
    if (a.voxels[n] !== b.voxels[n]) return `voxel ${n}: ${a.voxels[n]} vs ${b.voxels[n]}`;
  return undefined;
}

describe('volume from the real 20-slice CT series', { skip: NO_REAL_DATA }, () => {
  test('Explicit VR LE series: grid from positions, slices sorted along the normal, HU = stored - 1024', async () => {
    const images = (await readFolder(REAL_RAW)).map((f) => f.image);
    const volume = await volumeOf(images.reverse());
    assert.deepEqual(volume.dims, [512, 512, 20]);
    assert.ok(
      Math.abs(volume.spacing[0] - 0.9765625) < 1e-6 && Math.abs(volume.spacing[1] - 0.9765625) < 1e-6,
    );
    assert.ok(Math.abs(volume.spacing[2] - 2) < 1e-6, `slice distance ${volume.spacing[2]}`);
    assert.deepEqual(volume.direction, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.equal(volume.modality, 'CT');
    assert.ok(volume.voxels instanceof Int16Array);
    const zs = images.map((im) => (im.header.imagePosition as number[])[2] as number).sort((a, b) => a - b);
    assert.equal(volume.origin[2], zs[0]);
    // Every slice k holds the file whose z is the k-th smallest, rescaled to HU.
    for (const im of images) {
      const k = zs.indexOf((im.header.imagePosition as number[])[2] as number);
      const stored = new Uint16Array(im.frame.buffer, im.frame.byteOffset, 512 * 512);
      for (const n of [0, 1000, 131_328, 200_000, 262_143]) {
        assert.equal(volume.voxels[k * 512 * 512 + n], (stored[n] as number) - 1024);
      }
    }
  });

  test('JPEG 2000 lossless series decodes to exactly the same volume as the uncompressed one', async () => {
    const raw = await volumeOf((await readFolder(REAL_RAW)).map((f) => f.image));
    const j2k = await volumeOf((await readFolder(REAL_J2K)).map((f) => f.image));
    assert.equal(firstDifference(raw, j2k), undefined);
    assert.deepEqual(j2k.origin, raw.origin);
  });

  test('the pure-JS codec build (no WebAssembly loader, the browser default) decodes JPEG 2000 identically', async () => {
    const [j2k] = await readFolder(REAL_J2K);
    const raw = (await readFolder(REAL_RAW)).find((f) => f.file === j2k?.file);
    const jsDecoder = new FrameDecoder();
    const image = j2k?.image as Part10Image;
    const expected = await decoder.decode(
      raw?.image.frame as Uint8Array,
      '1.2.840.10008.1.2.1',
      image.header,
    );
    assert.deepEqual(await jsDecoder.decode(image.frame, '1.2.840.10008.1.2.4.90', image.header), expected);
  });

  for (const [tool, args, syntax] of [
    ['dcmcrle', [], 'RLE Lossless'],
    ['dcmcjpls', [], 'JPEG-LS lossless'],
    ['dcmcjpeg', ['+e1'], 'JPEG lossless SV1'],
    ['dcmcjpeg', ['+el'], 'JPEG lossless (process 14)'],
  ] as const) {
    test(`${syntax} frames (transcoded by DCMTK ${tool}) decode to exactly the uncompressed frames`, async () => {
      const raw = new Map((await readFolder(REAL_RAW)).map((f) => [f.file, f.image]));
      const transcoded = await transcodeFolder(REAL_RAW, tool, [...args], 3);
      for (const { file, image } of transcoded) {
        const declared = image.header.transferSyntaxUID as string;
        assert.notEqual(declared, '1.2.840.10008.1.2.1');
        // A frame's bytes alone tell its encoding (for servers that do not declare it); .57/.70 decode alike.
        const sniffed = detectTransferSyntax(image.frame, image.header);
        assert.equal(sniffed?.replace(/\.70$/, '.57'), declared.replace(/\.70$/, '.57'));
        const original = raw.get(file) as Part10Image;
        const expected = await decoder.decode(original.frame, '1.2.840.10008.1.2.1', original.header);
        assert.deepEqual(await decoder.decode(image.frame, declared, image.header), expected);
      }
    });
  }
});

describe('volume from synthetic series', () => {
  const load = (options: Parameters<typeof syntheticSeries>[0] = {}) =>
    syntheticSeries(options).map((ds) => readPart10Image(writePart10(ds)));

  test('oblique orientation: direction columns are the row, column and normal cosines; origin is the lowest slice', async () => {
    const c = Math.SQRT1_2;
    const images = load({ orientation: [c, c, 0, 0, 0, -1], slices: 4, sliceGap: 3 });
    const volume = await volumeOf([...images].reverse());
    const normal = [c * -1 - 0, 0 - c * -1, 0];
    assert.deepEqual(
      volume.direction.map((v) => Math.round(v * 1e6) / 1e6),
      [c, 0, normal[0], c, 0, normal[1], 0, -1, 0].map((v) => Math.round((v ?? 0) * 1e6) / 1e6),
    );
    assert.deepEqual(volume.origin, images[0]?.header.imagePosition);
    assert.ok(Math.abs(volume.spacing[2] - 3) < 1e-6, `slice distance ${volume.spacing[2]}`);
    // Synthetic value i + 3j + 50k - 1024 proves slices are in spatial order whatever InstanceNumber says.
    assert.equal(volume.voxels[5 + 16 * 7 + 16 * 12 * 2], 5 + 21 + 100 - 1024);
  });

  test('non-integer RescaleSlope gives a Float32 volume with exact HU', async () => {
    const datasets = syntheticSeries({ slices: 3 });
    for (const ds of datasets) ds.RescaleSlope = 0.5;
    const volume = await volumeOf(datasets.map((ds) => readPart10Image(writePart10(ds))));
    assert.ok(volume.voxels instanceof Float32Array);
    assert.equal(volume.voxels[3 + 16 * 2 + 16 * 12 * 1], (3 + 6 + 50) * 0.5 - 1024);
  });
});

describe('JPEG baseline (8-bit)', () => {
  test('frames encoded by DCMTK dcmcjpeg +eb decode like DCMTK dcmdjpeg decodes them (within 1 grey level)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'contseg-jpeg8-'));
    try {
      const [dataset] = syntheticSeries({ columns: 64, rows: 48, slices: 1 });
      const pixels = new Uint8Array(64 * 48);
      for (let j = 0; j < 48; j++)
        for (let i = 0; i < 64; i++) pixels[i + 64 * j] = (i * 3 + j * 2 + ((i * j) % 17)) & 255;
      Object.assign(dataset as object, {
        BitsAllocated: 8,
        BitsStored: 8,
        HighBit: 7,
        PixelRepresentation: 0,
        PixelData: pixels.buffer,
        _vrMap: { PixelData: 'OB' },
      });
      const plain = path.join(dir, 'plain.dcm');
      await writeFile(plain, new Uint8Array(writePart10(dataset as NaturalDataset)));
      await run('dcmcjpeg', ['+eb', '+q', '95', plain, path.join(dir, 'jpeg.dcm')]);
      await run('dcmdjpeg', [path.join(dir, 'jpeg.dcm'), path.join(dir, 'dcmtk.dcm')]);
      const jpeg = readPart10Image(toArrayBuffer(await readFile(path.join(dir, 'jpeg.dcm'))));
      const dcmtk = readPart10Image(toArrayBuffer(await readFile(path.join(dir, 'dcmtk.dcm'))));
      assert.equal(jpeg.header.transferSyntaxUID, '1.2.840.10008.1.2.4.50');
      assert.equal(detectTransferSyntax(jpeg.frame, jpeg.header), '1.2.840.10008.1.2.4.50');
      const ours = await decoder.decode(jpeg.frame, '1.2.840.10008.1.2.4.50', jpeg.header);
      const theirs = await decoder.decode(
        dcmtk.frame,
        dcmtk.header.transferSyntaxUID as string,
        dcmtk.header,
      );
      let worst = 0;
      ours.forEach((v, n) => (worst = Math.max(worst, Math.abs(v - (theirs[n] as number)))));
      assert.ok(worst <= 1, `largest difference from DCMTK ${worst}`);
      let lossy = 0;
      ours.forEach((v, n) => (lossy = Math.max(lossy, Math.abs(v - (pixels[n] as number)))));
      assert.ok(lossy > 0 && lossy < 40, `baseline JPEG is lossy but close: largest error ${lossy}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('refusals name the problem', () => {
  const headers = (options: Parameters<typeof syntheticSeries>[0] = {}) =>
    syntheticSeries(options).map((ds) => sliceHeaderFromDataset(ds));
  const refuses = (code: string, pattern: RegExp, fn: () => unknown) =>
    assert.throws(
      fn,
      (err: unknown) => err instanceof DicomError && err.code === code && pattern.test(err.message),
    );

  test('no slices, and a single slice', () => {
    refuses('no-slices', /no image instances/, () => planSeries([]));
    refuses('no-slices', /only one slice/, () => planSeries(headers({ slices: 1 })));
  });
  test('non-CT modality', () =>
    refuses('not-ct', /modality "MR"/, () => planSeries(headers({ modality: 'MR' }))));
  test('enhanced multi-frame CT', () => {
    const h = headers();
    h[2] = { ...(h[2] as (typeof h)[0]), sopClassUID: '1.2.840.10008.5.1.4.1.1.2.1' };
    refuses('enhanced-multiframe', /Enhanced CT multi-frame/, () => planSeries(h));
  });
  test('mixed orientations', () => {
    const h = headers();
    h[3] = { ...(h[3] as (typeof h)[0]), imageOrientation: [1, 0, 0, 0, 0.99, 0.141] };
    refuses('mixed-orientation', /mixed orientations/, () => planSeries(h));
  });
  test('duplicate slice positions', () => {
    const h = headers();
    h[4] = { ...(h[4] as (typeof h)[0]), imagePosition: h[3]?.imagePosition };
    refuses('duplicate-slice', /same position/, () => planSeries(h));
  });
  test('a missing slice in the middle', () => {
    const h = headers({ slices: 8 });
    h.splice(4, 1);
    refuses('missing-slice', /missing 1 slice\(s\): a gap of 5 mm/, () => planSeries(h));
  });
  test('uneven spacing beyond 5 %', () => {
    const h = headers({ slices: 8 });
    const p = h[4]?.imagePosition as [number, number, number];
    h[4] = { ...(h[4] as (typeof h)[0]), imagePosition: [p[0], p[1], p[2] + 0.6] };
    refuses('uneven-spacing', /uneven slice spacing: a gap of 3\.1 mm/, () => planSeries(h));
  });
  test('gantry tilt, declared or seen as sheared slice origins', () => {
    const declared = headers().map((s) => ({ ...s, gantryTilt: 12 }));
    refuses('gantry-tilt', /gantry tilt of 12 degrees/, () => planSeries(declared));
    const sheared = headers().map((s, k) => {
      const p = s.imagePosition as [number, number, number];
      return { ...s, imagePosition: [p[0], p[1] + 0.5 * k, p[2]] as [number, number, number] };
    });
    refuses('gantry-tilt', /sheared/, () => planSeries(sheared));
  });
  test('unsupported transfer syntax', async () => {
    await assert.rejects(
      decoder.decode(new Uint8Array(8), '1.2.840.10008.1.2.4.100', {
        rows: 2,
        columns: 2,
        bitsAllocated: 16,
        bitsStored: 16,
        pixelRepresentation: 0,
      }),
      (err: unknown) => err instanceof DicomError && err.code === 'unsupported-transfer-syntax',
    );
  });
});
