// The confidence view: where the model was unsure of a class, from its probability map (engine
// `SegmentedClass.probability`, 255 * sigmoid). Two bands per class: voxels it included with a probability under 80 %,
// and voxels it left out with a probability from 20 % up to 50 % - where a radiologist should look twice.
import { boxVoxels, checkBoxed, rowStart, unionBoxes, type BoxedBytes } from '../../engine/boxed.ts';

/** Band edges as probabilities; the mask threshold (50 %) splits "included" from "left out". */
export const CONFIDENCE_BANDS = [
  { key: 'included', label: 'included, 50–80 %', low: 0.5, high: 0.8, colour: [255, 140, 0] },
  { key: 'left-out', label: 'left out, 20–50 %', low: 0.2, high: 0.5, colour: [0, 170, 255] },
] as const satisfies readonly {
  key: string;
  label: string;
  low: number;
  high: number;
  colour: [number, number, number];
}[];

export type BandKey = (typeof CONFIDENCE_BANDS)[number]['key'];

export interface ClassConfidence {
  /** 0/1 per voxel of each band, on the box holding the class's mask and probability map. */
  bands: Record<BandKey, BoxedBytes>;
  /** Voxels in each band. */
  voxels: Record<BandKey, number>;
}

/**
 * Splits a class's probability map into the unsure bands: "included" = mask set (after the engine's post-processing)
 * and probability below 80 %; "left out" = mask clear and probability from 20 % up to the 50 % threshold. Voxels
 * the model was sure of, and those post-processing removed despite a high probability, are in neither.
 * `probability` and `mask` are boxes of the same grid (0 outside them).
 */
export function classConfidence(probability: BoxedBytes, mask: BoxedBytes): ClassConfidence {
  const box = unionBoxes(probability.box, mask.box);
  checkBoxed(probability, box.hi, 'probability map');
  checkBoxed(mask, box.hi, 'mask');
  const [included, leftOut] = CONFIDENCE_BANDS;
  const includedBelow = included.high * 255;
  const [leftOutFrom, leftOutBelow] = [leftOut.low * 255, leftOut.high * 255];
  const size = boxVoxels(box);
  const bands = {
    included: { box, data: new Uint8Array(size) },
    'left-out': { box, data: new Uint8Array(size) },
  };
  const voxels = { included: 0, 'left-out': 0 };
  // Row by row: where a row misses one of the boxes, that array is 0 along it.
  const value = (b: BoxedBytes, row: number, i: number) =>
    row < 0 || i < b.box.lo[0] || i >= b.box.hi[0] ? 0 : (b.data[row + i - b.box.lo[0]] as number);
  let n = 0;
  for (let k = box.lo[2]; k < box.hi[2]; k++) {
    for (let j = box.lo[1]; j < box.hi[1]; j++) {
      const [rowP, rowM] = [rowStart(probability, j, k), rowStart(mask, j, k)];
      for (let i = box.lo[0]; i < box.hi[0]; i++, n++) {
        const p = value(probability, rowP, i);
        if (value(mask, rowM, i)) {
          if (p < includedBelow) {
            bands.included.data[n] = 1;
            voxels.included++;
          }
        } else if (p >= leftOutFrom && p < leftOutBelow) {
          bands['left-out'].data[n] = 1;
          voxels['left-out']++;
        }
      }
    }
  }
  return { bands, voxels };
}
