// "Go to" target: the centroid of a structure in the slice where it is largest, mapped to LPS millimetres through
// the series geometry (spacing, origin, and direction columns).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gridToBoxed } from '../../../extension/src/engine/boxed.ts';
import { structureFocus, type Grid } from '../../../extension/src/ohif/utils/structureFocus.ts';

const grid: Grid = {
  dims: [4, 3, 5],
  spacing: [0.5, 2, 3],
  origin: [10, 20, 30],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
};
const at = (i: number, j: number, k: number) => i + 4 * (j + 3 * k);

test('picks the slice with the most voxels and the centroid within it, in LPS mm', () => {
  const mask = new Uint8Array(60);
  mask[at(0, 0, 1)] = 1; // one voxel on slice 1
  for (const [i, j] of [
    [1, 1],
    [3, 1],
    [1, 2],
    [3, 2],
  ])
    mask[at(i!, j!, 3)] = 1; // four on slice 3
  assert.deepEqual(structureFocus(gridToBoxed(mask, grid.dims), grid), [
    10 + 0.5 * 2,
    20 + 2 * 1.5,
    30 + 3 * 3,
  ]);
});

test('follows the direction matrix (a flipped, swapped grid) and gives undefined for an empty mask', () => {
  const mask = new Uint8Array(60);
  mask[at(2, 1, 4)] = 1;
  // i runs along -y, j along +x, k along -z
  const rotated: Grid = { ...grid, direction: [0, 1, 0, -1, 0, 0, 0, 0, -1] };
  assert.deepEqual(structureFocus(gridToBoxed(mask, grid.dims), rotated), [
    10 + 2 * 1,
    20 - 0.5 * 2,
    30 - 3 * 4,
  ]);
  assert.equal(structureFocus(gridToBoxed(new Uint8Array(60), grid.dims), grid), undefined);
  assert.throws(
    () => structureFocus({ box: { lo: [0, 0, 3], hi: [4, 3, 6] }, data: new Uint8Array(36) }, grid),
    /mask: box \[0,0,3\]\.\.\[4,3,6\] does not lie in the grid 4 x 3 x 5/,
  );
});
