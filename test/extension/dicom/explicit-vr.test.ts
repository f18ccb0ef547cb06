// ExplicitVrWriter encodes elements exactly as dcmjs does (the SEG writer mixes both in one file), and refuses what
// it cannot encode with the element named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import dcmjs, { type NaturalDataset } from 'dcmjs';
import { ExplicitVrWriter } from '../../../extension/src/dicom/explicit-vr.ts';

/** dcmjs's encoding of a dataset: the Part 10 file's bytes after its preamble and meta group. */
function dcmjsBytes(dataset: NaturalDataset, length: number): Uint8Array {
  const file = new dcmjs.data.DicomDict({});
  file.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  const bytes = new Uint8Array(file.write());
  return bytes.subarray(bytes.length - length);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('text, integer, byte and nested sequence elements are byte for byte what dcmjs writes', () => {
  const pixels = Uint8Array.from({ length: 38 }, (_, n) => (n * 37) % 256);
  const w = new ExplicitVrWriter();
  w.text(0x00080016, 'UI', ['1.2.840.10008.5.1.4.1.1.66.4']); // even length: no padding
  w.text(0x00080018, 'UI', ['1.2.345']); // odd: null padded
  w.text(0x00080060, 'CS', ['SEG']); // odd: space padded
  w.sequence(0x00089124, 2, (n) => {
    w.sequence(0x00082112, 1, () => {
      w.text(0x00081150, 'UI', ['1.2.840.10008.5.1.4.1.1.2']);
      w.text(0x00081155, 'UI', [`1.2.3.${n}`]);
    });
    w.sequence(0x00089215, 1, () => {
      w.text(0x00080100, 'SH', ['113076']);
      w.text(0x00080102, 'SH', ['DCM']);
      w.text(0x00080104, 'LO', ['Segmentation']);
    });
  });
  w.sequence(0x00209111, 1, () => w.integers(0x00209157, 'UL', [3, 70000]));
  w.sequence(0x00209113, 1, () => w.text(0x00200032, 'DS', ['-12.5', '0', '1.234567891e-7']));
  w.sequence(0x00620002, 0, () => assert.fail('an empty sequence has no items'));
  w.sequence(0x0062000a, 1, () => w.integers(0x0062000b, 'US', [65535]));
  w.otherBytes(0x7fe00010, pixels);
  const ours = w.bytes();

  const reference = dcmjsBytes(
    {
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.66.4',
      SOPInstanceUID: '1.2.345',
      Modality: 'SEG',
      DerivationImageSequence: [0, 1].map((n) => ({
        SourceImageSequence: [
          { ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: `1.2.3.${n}` },
        ],
        DerivationCodeSequence: [
          { CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' },
        ],
      })),
      FrameContentSequence: [{ DimensionIndexValues: [3, 70000] }],
      PlanePositionSequence: [{ ImagePositionPatient: [-12.5, 0, 1.234567891e-7] }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: 65535 }],
      SegmentSequence: [],
      PixelData: pixels.slice().buffer,
      _vrMap: { PixelData: 'OB' },
    },
    ours.length,
  );
  assert.equal(hex(ours), hex(reference));
});

test('grows past its first buffer without losing bytes', () => {
  const w = new ExplicitVrWriter();
  const big = Uint8Array.from({ length: 300_000 }, (_, n) => n % 251);
  w.text(0x00080060, 'CS', ['SEG']);
  w.otherBytes(0x7fe00010, big);
  const out = w.bytes();
  assert.equal(out.length, 12 + 12 + big.length); // 8 + 'SEG ', then 12 + the bytes
  assert.deepEqual(out.subarray(24), big);
});

test('refuses non-ASCII text, an odd byte count and text over 65535 bytes, naming the element', () => {
  const w = new ExplicitVrWriter();
  assert.throws(() => w.text(0x00081155, 'UI', ['1.2.3\n']), /\(0008,1155\) UI .*not printable ASCII/);
  assert.throws(() => w.text(0x00080104, 'LO', ['Lebersegment é']), /\(0008,0104\) LO .*not printable ASCII/);
  assert.throws(() => w.otherBytes(0x7fe00010, new Uint8Array(3)), /\(7FE0,0010\) OB: odd length 3/);
  assert.throws(
    () => w.text(0x00200032, 'DS', Array(20000).fill('1.5')),
    /\(0020,0032\) DS: 80000 bytes exceed 65535/,
  );
});
