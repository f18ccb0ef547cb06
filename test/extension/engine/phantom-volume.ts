import type { Volume } from '../../../extension/src/engine/volume.ts';

/**
 * 1.5 mm axial CT for the tiny test model: air around a 0 HU body, a 120 HU "liver" ball (radius 8 voxels) with a
 * 200 HU "tumour" ball inside, and a separate 200 HU blob at x = 29..33 (outside the liver).
 */
export function phantomVolume(dims: [number, number, number] = [40, 36, 24]): Volume {
  const [nx, ny, nz] = dims;
  const voxels = new Int16Array(nx * ny * nz).fill(-1000);
  const ball = (x: number, y: number, z: number, cx: number, cy: number, cz: number, r: number) =>
    (x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 <= r * r;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        let hu = x > 2 && x < nx - 3 && y > 2 && y < ny - 3 ? 0 : -1000;
        if (ball(x, y, z, 14, 16, nz / 2, 8)) hu = 120;
        if (ball(x, y, z, 15, 16, nz / 2, 3)) hu = 200;
        if (ball(x, y, z, 31, 20, nz / 2, 2)) hu = 200;
        voxels[x + nx * (y + ny * z)] = hu;
      }
    }
  }
  return {
    voxels,
    dims,
    spacing: [1.5, 1.5, 1.5],
    origin: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    modality: 'CT',
  };
}
