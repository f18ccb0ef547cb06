// Layering of class masks for OHIF labelmaps (one segment per voxel per layer): overlapping classes never share a
// layer, so every voxel of every class is shown and stored; disjoint classes share the first layer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gridToBoxed } from '../../../extension/src/engine/boxed.ts';
import { stackLayers } from '../../../extension/src/ohif/services/labelmapLayers.ts';

/** A class with the given voxels of a 10 x 1 x 1 grid, held as the box of its voxels. */
const cls = (name: string, voxels: number[]) => {
  const mask = new Uint8Array(10);
  for (const v of voxels) mask[v] = 1;
  return { name, mask: gridToBoxed(mask, [10, 1, 1]) };
};

test('a tumour inside its organ goes on a second layer; disjoint organs share the first', () => {
  const liver = cls('liver', [0, 1, 2, 3]);
  const spleen = cls('spleen', [7, 8]);
  const tumour = cls('liver tumour', [2, 3]);
  const kidney = cls('kidney', [5]);
  const layers = stackLayers([liver, spleen, tumour, kidney]);
  assert.deepEqual(
    layers.map((l) => l.map((c) => c.name)),
    [['liver', 'spleen', 'kidney'], ['liver tumour']],
  );
});

test('three mutually overlapping classes need three layers', () => {
  const layers = stackLayers([cls('a', [1, 2]), cls('b', [2, 3]), cls('c', [1, 3])]);
  assert.deepEqual(
    layers.map((l) => l.map((c) => c.name)),
    [['a'], ['b'], ['c']],
  );
});

test('classes whose boxes meet but whose voxels do not share a layer', () => {
  const layers = stackLayers([cls('ring', [1, 6]), cls('inside', [3, 4]), cls('on the ring', [6])]);
  assert.deepEqual(
    layers.map((l) => l.map((c) => c.name)),
    [['ring', 'inside'], ['on the ring']],
  );
});
