// The confidence view: where the model was unsure of a class, from its probability map (engine
// `SegmentedClass.probability`, 255 * sigmoid). Two bands per class: voxels it included with a probability under 80 %,
// and voxels it left out with a probability from 20 % up to 50 % - where a radiologist should look twice.

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
  /** 0/1 per voxel of each band, same layout as the class mask. */
  bands: Record<BandKey, Uint8Array>;
  /** Voxels in each band. */
  voxels: Record<BandKey, number>;
}

/**
 * Splits a class's probability map into the unsure bands: "included" = mask set (after the engine's post-processing)
 * and probability below 80 %; "left out" = mask clear and probability from 20 % up to the 50 % threshold. Voxels
 * the model was sure of, and those post-processing removed despite a high probability, are in neither.
 * `probability` and `mask` have one entry per voxel.
 */
export function classConfidence(probability: Uint8Array, mask: Uint8Array): ClassConfidence {
  if (probability.length !== mask.length) {
    throw new Error(`probability map of ${probability.length} voxels for a mask of ${mask.length}`);
  }
  const [included, leftOut] = CONFIDENCE_BANDS;
  const includedBelow = included.high * 255;
  const [leftOutFrom, leftOutBelow] = [leftOut.low * 255, leftOut.high * 255];
  const bands = { included: new Uint8Array(mask.length), 'left-out': new Uint8Array(mask.length) };
  const voxels = { included: 0, 'left-out': 0 };
  for (let n = 0; n < mask.length; n++) {
    const p = probability[n]!;
    if (mask[n]) {
      if (p < includedBelow) {
        bands.included[n] = 1;
        voxels.included++;
      }
    } else if (p >= leftOutFrom && p < leftOutBelow) {
      bands['left-out'][n] = 1;
      voxels['left-out']++;
    }
  }
  return { bands, voxels };
}
