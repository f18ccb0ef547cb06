// Builds a Volume from a SeriesPlan and a source of encoded frames: decode, rescale to HU, place slice k at z = k.
// The frame source is a function, so the same code serves DICOMweb (WADO-RS frames) and files read from disk.
import type { Volume } from '../engine/volume.ts';
import type { FrameDecoder } from './frame-decode.ts';
import type { SeriesPlan } from './series-geometry.ts';
import type { SliceHeader } from './slice-header.ts';

/** Returns the encoded pixel data of one slice and the transfer syntax it is in. */
export type FrameSource = (
  slice: SliceHeader,
  k: number,
) => Promise<{ bytes: Uint8Array; transferSyntaxUID: string }>;

export interface BuildOptions {
  /** Frames fetched and decoded at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: { stage: 'frames'; done: number; total: number }) => void;
}

/**
 * Holds the voxels of a volume being filled slice by slice. Starts as Int16 (HU of CT fits) and switches to Float32
 * the first time a rescaled value is not an integer in the Int16 range, so no value is ever clipped or rounded.
 */
export class VolumeAssembler {
  private voxels: Int16Array | Float32Array;
  private readonly sliceSize: number;

  constructor(private readonly plan: SeriesPlan) {
    this.sliceSize = plan.dims[0] * plan.dims[1];
    this.voxels = new Int16Array(this.sliceSize * plan.dims[2]);
  }

  /** Writes slice k from its stored values with the slice's own RescaleSlope/Intercept. */
  setSlice(k: number, stored: Int32Array, slope: number, intercept: number): void {
    if (stored.length !== this.sliceSize) {
      throw new RangeError(`slice ${k} has ${stored.length} pixels; the grid needs ${this.sliceSize}`);
    }
    const offset = k * this.sliceSize;
    if (this.voxels instanceof Int16Array && !this.fitsInt16(stored, slope, intercept)) {
      this.voxels = Float32Array.from(this.voxels);
    }
    const voxels = this.voxels;
    for (let n = 0; n < stored.length; n++) voxels[offset + n] = (stored[n] as number) * slope + intercept;
  }

  private fitsInt16(stored: Int32Array, slope: number, intercept: number): boolean {
    if (!Number.isInteger(slope) || !Number.isInteger(intercept)) return false;
    let min = Infinity;
    let max = -Infinity;
    for (let n = 0; n < stored.length; n++) {
      const v = stored[n] as number;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const a = min * slope + intercept;
    const b = max * slope + intercept;
    return Math.min(a, b) >= -32768 && Math.max(a, b) <= 32767;
  }

  finish(): Volume {
    const { dims, spacing, origin, direction, modality } = this.plan;
    return {
      voxels: this.voxels,
      dims: [...dims],
      spacing: [...spacing],
      origin: [...origin],
      direction: [...direction],
      modality,
    };
  }
}

/** Fetches, decodes and places every slice of the plan; at most `concurrency` frames are in flight. */
export async function buildVolume(
  plan: SeriesPlan,
  frames: FrameSource,
  decoder: FrameDecoder,
  options: BuildOptions = {},
): Promise<Volume> {
  const assembler = new VolumeAssembler(plan);
  const total = plan.slices.length;
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < total) {
      const k = next++;
      try {
        options.signal?.throwIfAborted();
        const slice = plan.slices[k] as SliceHeader;
        const { bytes, transferSyntaxUID } = await frames(slice, k);
        const stored = await decoder.decode(bytes, transferSyntaxUID, slice);
        assembler.setSlice(k, stored, slice.rescaleSlope, slice.rescaleIntercept);
      } catch (err) {
        next = total; // the other workers stop after their current frame
        throw err;
      }
      options.onProgress?.({ stage: 'frames', done: ++done, total });
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 4, total));
  await Promise.all(Array.from({ length: concurrency }, worker));
  return assembler.finish();
}
