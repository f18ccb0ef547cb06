/** Post-processing of binary masks (x fastest on `dims`): connected components, containment, volumes. */
import { boxSize, gridToBoxed } from './boxed.ts';

export type Connectivity = 6 | 26;

/** Neighbours already visited in a raster scan (x fastest): 13 of the 26, or 3 of the 6. */
function previousNeighbours(connectivity: Connectivity): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let dz = -1; dz <= 0; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const before = dz < 0 || (dz === 0 && (dy < 0 || (dy === 0 && dx < 0)));
        const steps = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (before && (connectivity === 26 || steps === 1)) out.push([dx, dy, dz]);
      }
    }
  }
  return out;
}

/**
 * Labels the 3-D connected components of `mask` (non-zero = foreground) in two raster passes with union-find
 * (path halving), linear in voxels. Returns per-voxel component ids (0 = background, 1..count) and their sizes.
 * 26-connectivity matches scipy.ndimage.label with a full 3x3x3 structure; 6 matches its default structure.
 */
export function labelComponents(
  mask: Uint8Array,
  dims: [number, number, number],
  connectivity: Connectivity = 26,
): { labels: Int32Array; sizes: number[] } {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const all = previousNeighbours(connectivity);
  // Under 26-connectivity, when the voxel before in the row is foreground it is already joined with every
  // neighbour at dx <= 0 (they are its neighbours too), so only the dx = +1 ones need a look.
  const afterRun = connectivity === 26 ? all.filter(([dx]) => dx === 1) : all;
  const table = (list: [number, number, number][]) => ({
    count: list.length,
    dx: Int32Array.from(list, ([dx]) => dx),
    dy: Int32Array.from(list, ([, dy]) => dy),
    dz: Int32Array.from(list, ([, , dz]) => dz),
    offset: Int32Array.from(list, ([dx, dy, dz]) => dx + nx * dy + plane * dz),
  });
  const full = table(all);
  const partial = table(afterRun);
  const labels = new Int32Array(mask.length);
  let parent = new Int32Array(1024);
  let next = 1;
  const find = (a: number) => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a] as number] as number;
      a = parent[a] as number;
    }
    return a;
  };
  let n = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const interiorRow = z > 0 && y > 0 && y < ny - 1;
      for (let x = 0; x < nx; x++, n++) {
        if (!mask[n]) continue;
        // Same-row predecessor first: in a run of foreground voxels it already carries the component.
        let root = x > 0 && labels[n - 1] ? find(labels[n - 1] as number) : 0;
        const t = root ? partial : full;
        const interior = interiorRow && x > 0 && x < nx - 1;
        for (let k = 0; k < t.count; k++) {
          if (!interior) {
            const xx = x + (t.dx[k] as number);
            const yy = y + (t.dy[k] as number);
            if (xx < 0 || xx >= nx || yy < 0 || yy >= ny || z + (t.dz[k] as number) < 0) continue;
          }
          const other = labels[n + (t.offset[k] as number)] as number;
          if (other === 0) continue;
          const r = find(other);
          if (root === 0) root = r;
          else if (r !== root) {
            // Union: the smaller id becomes the root so roots stay stable.
            if (r < root) {
              parent[root] = r;
              root = r;
            } else parent[r] = root;
          }
        }
        if (root === 0) {
          if (next === parent.length) {
            const grown = new Int32Array(parent.length * 2);
            grown.set(parent);
            parent = grown;
          }
          parent[next] = next;
          root = next++;
        }
        labels[n] = root;
      }
    }
  }
  // Second pass: compact root ids to 1..count and count sizes.
  const compact = new Int32Array(next);
  const sizes: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    if (label === 0) continue;
    const root = find(label);
    if (compact[root] === 0) {
      sizes.push(0);
      compact[root] = sizes.length;
    }
    const id = compact[root] as number;
    labels[i] = id;
    sizes[id - 1] = (sizes[id - 1] as number) + 1;
  }
  return { labels, sizes };
}

/**
 * Keeps only the largest connected component of `mask` (in place; ties: the first in raster order). Returns its size.
 * Labels only the bounding box of the mask: raster order inside it is the full volume's, so the result is the same.
 */
export function keepLargestComponent(
  mask: Uint8Array,
  dims: [number, number, number],
  connectivity: Connectivity = 26,
): number {
  const { box, data: inBox } = gridToBoxed(mask, dims);
  if (!inBox.length) return 0;
  const [bx, by, bz] = boxSize(box);
  const rowStart = (y: number, z: number) =>
    box.lo[0] + dims[0] * (box.lo[1] + y + dims[1] * (box.lo[2] + z));
  const { labels, sizes } = labelComponents(inBox, [bx, by, bz], connectivity);
  if (sizes.length <= 1) return sizes[0] ?? 0;
  const largest = sizes.indexOf(Math.max(...sizes)) + 1;
  for (let z = 0, n = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const from = rowStart(y, z);
      for (let x = 0; x < bx; x++, n++) mask[from + x] = labels[n] === largest ? 1 : 0;
    }
  }
  return sizes[largest - 1] as number;
}

/** Clears every voxel of `part` (e.g. a liver tumour) that lies outside `whole` (its organ), in place. */
export function keepInside(part: Uint8Array, whole: Uint8Array): void {
  for (let i = 0; i < part.length; i++) if (part[i] && !whole[i]) part[i] = 0;
}

/** Volume in millilitres of `voxels` voxels of the given spacing (mm). */
export function volumeMl(voxels: number, spacing: readonly [number, number, number]): number {
  return (voxels * spacing[0] * spacing[1] * spacing[2]) / 1000;
}
