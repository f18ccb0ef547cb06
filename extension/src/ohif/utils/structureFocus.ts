// Where "Go to" takes the viewer for a structure: the slice where the structure is largest, at the structure's
// centroid in that slice, as a patient (LPS, mm) point. OHIF's own jump needs segment statistics that a labelmap
// filled from a mask does not have, so the panel gives the point itself.
import { checkBoxed, type BoxedBytes } from '../../engine/boxed.ts';

export interface Grid {
  /** [columns, rows, slices]. */
  dims: readonly [number, number, number];
  spacing: readonly [number, number, number];
  /** LPS position of voxel (0, 0, 0). */
  origin: readonly [number, number, number];
  /** 3x3 row-major; its columns are the LPS directions of the i, j, k axes (engine/volume.ts). */
  direction: readonly number[];
}

/** The LPS point of the structure's centroid in its largest slice; undefined for an empty mask. */
export function structureFocus(mask: BoxedBytes, grid: Grid): [number, number, number] | undefined {
  checkBoxed(mask, grid.dims, 'mask');
  const { lo, hi } = mask.box;
  let best = { k: -1, count: 0, si: 0, sj: 0 };
  for (let k = lo[2], n = 0; k < hi[2]; k++) {
    let count = 0;
    let si = 0;
    let sj = 0;
    for (let j = lo[1]; j < hi[1]; j++) {
      for (let i = lo[0]; i < hi[0]; i++, n++) {
        if (mask.data[n]) {
          count++;
          si += i;
          sj += j;
        }
      }
    }
    if (count > best.count) best = { k, count, si, sj };
  }
  if (best.count === 0) return undefined;
  const ijk = [best.si / best.count, best.sj / best.count, best.k];
  const d = grid.direction;
  const s = grid.spacing;
  return [0, 1, 2].map(
    (r) =>
      grid.origin[r]! +
      d[3 * r]! * s[0] * ijk[0]! +
      d[3 * r + 1]! * s[1] * ijk[1]! +
      d[3 * r + 2]! * s[2] * ijk[2]!,
  ) as [number, number, number];
}
