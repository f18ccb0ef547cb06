// Transfer syntaxes beyond the common ones, each with real encoded frames: HTJ2K (High-Throughput JPEG 2000, the
// syntax new PACS store CT in) decodes exactly with OpenJPH, and JPEG extended 12-bit (DCMTK-encoded) is refused with
// a message that says what to do, since no maintained 12-bit JPEG decoder exists for the browser.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { NaturalDataset } from 'dcmjs';
import { nodeCodecWasm } from '../../../extension/src/dicom/codec-wasm-node.ts';
import { DicomError } from '../../../extension/src/dicom/errors.ts';
import {
  detectTransferSyntax,
  FrameDecoder,
  TRANSFER_SYNTAX,
  type PixelFormat,
} from '../../../extension/src/dicom/frame-decode.ts';
import { readPart10Image } from '../../../extension/src/dicom/part10.ts';
import {
  NO_REAL_DATA,
  REAL_J2K,
  REAL_RAW,
  readFolder,
  run,
  syntheticSeries,
  toArrayBuffer,
  writePart10,
} from './fixtures.ts';
import { encodeHtj2k } from './htj2k-encode.ts';

const wasmDecoder = new FrameDecoder(nodeCodecWasm);

const format16 = (rows: number, columns: number, pixelRepresentation: 0 | 1): PixelFormat => ({
  rows,
  columns,
  bitsAllocated: 16,
  bitsStored: 16,
  pixelRepresentation,
});

describe('HTJ2K', () => {
  test('a synthetic signed 16-bit CT frame round-trips exactly through OpenJPH (wasm loader and default), all three HTJ2K syntaxes', async () => {
    const format = format16(48, 64, 1);
    const values = new Int16Array(64 * 48).map((_, n) => ((n * 37) % 3000) - 1024);
    const encoded = await encodeHtj2k(new Uint8Array(values.buffer), format);
    assert.equal(detectTransferSyntax(encoded, format), TRANSFER_SYNTAX.htj2kLossless);
    const expected = Int32Array.from(values);
    for (const syntax of [
      TRANSFER_SYNTAX.htj2kLossless,
      TRANSFER_SYNTAX.htj2kLosslessRpcl,
      TRANSFER_SYNTAX.htj2k,
    ])
      assert.deepEqual(await wasmDecoder.decode(encoded, syntax, format), expected, syntax);
    assert.deepEqual(
      await new FrameDecoder().decode(encoded, TRANSFER_SYNTAX.htj2kLossless, format),
      expected,
    );
  });

  test(
    'real CT slices encoded as HTJ2K decode to exactly the uncompressed slices; JPEG 2000 codestreams are still told apart',
    { skip: NO_REAL_DATA },
    async () => {
      const raw = (await readFolder(REAL_RAW)).slice(0, 3);
      for (const { file, image } of raw) {
        const format = image.header;
        const expected = await wasmDecoder.decode(image.frame, TRANSFER_SYNTAX.explicitLittle, format);
        const encoded = await encodeHtj2k(image.frame, format);
        assert.equal(detectTransferSyntax(encoded, format), TRANSFER_SYNTAX.htj2kLossless, file);
        assert.deepEqual(
          await wasmDecoder.decode(encoded, TRANSFER_SYNTAX.htj2kLossless, format),
          expected,
          file,
        );
      }
      const [j2k] = await readFolder(REAL_J2K);
      assert.equal(
        detectTransferSyntax(j2k!.image.frame, j2k!.image.header),
        TRANSFER_SYNTAX.jpeg2000Lossless,
      );
    },
  );

  test('a damaged HTJ2K frame is a decode-failed error naming the syntax', async () => {
    const format = format16(8, 8, 0);
    const encoded = await encodeHtj2k(new Uint8Array(128).fill(7), format);
    await assert.rejects(
      wasmDecoder.decode(encoded.subarray(0, 20), TRANSFER_SYNTAX.htj2kLossless, format),
      (err: unknown) =>
        err instanceof DicomError &&
        err.code === 'decode-failed' &&
        err.message.startsWith(`cannot decode a ${TRANSFER_SYNTAX.htj2kLossless} frame`),
    );
  });
});

describe('JPEG extended (12-bit)', () => {
  test('a 12-bit CT frame encoded by DCMTK (dcmcjpeg +ee) is recognised and refused with a message saying what to do', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'contseg-jpeg12-'));
    try {
      const [dataset] = syntheticSeries({ columns: 64, rows: 48, slices: 1 });
      const pixels = new Uint16Array(64 * 48).map((_, n) => (n * 53) % 4096);
      Object.assign(dataset as object, {
        BitsStored: 12,
        HighBit: 11,
        PixelRepresentation: 0,
        PixelData: pixels.buffer,
      });
      const plain = path.join(dir, 'plain.dcm');
      await writeFile(plain, new Uint8Array(writePart10(dataset as NaturalDataset)));
      await run('dcmcjpeg', ['+ee', plain, path.join(dir, 'jpeg12.dcm')]);
      const jpeg = readPart10Image(toArrayBuffer(await readFile(path.join(dir, 'jpeg12.dcm'))));
      assert.equal(jpeg.header.transferSyntaxUID, TRANSFER_SYNTAX.jpegExtended);
      assert.equal(detectTransferSyntax(jpeg.frame, jpeg.header), TRANSFER_SYNTAX.jpegExtended);
      await assert.rejects(
        wasmDecoder.decode(jpeg.frame, TRANSFER_SYNTAX.jpegExtended, jpeg.header),
        (err: unknown) =>
          err instanceof DicomError &&
          err.code === 'unsupported-transfer-syntax' &&
          /^JPEG extended \(12-bit, 1\.2\.840\.10008\.1\.2\.4\.51\) frames cannot be decoded: .*have the PACS send the series in another transfer syntax/.test(
            err.message,
          ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
