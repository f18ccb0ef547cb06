// The panel's choices store: ticking and unticking classes, picking a model (which clears the ticks), and telling
// subscribers about each change until they unsubscribe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPanelStore } from '../../../extension/src/ohif/Panels/panelStore.ts';

test('toggleClass ticks and unticks; each change is a new snapshot and notifies subscribers', () => {
  const store = createPanelStore();
  let calls = 0;
  const unsubscribe = store.subscribe(() => calls++);
  const first = store.get();
  store.toggleClass('liver');
  store.toggleClass('spleen');
  assert.deepEqual([...store.get().selected], ['liver', 'spleen']);
  assert.notEqual(store.get(), first, 'a new snapshot, so React re-renders');
  store.toggleClass('liver');
  assert.deepEqual([...store.get().selected], ['spleen']);
  assert.equal(calls, 3);
  unsubscribe();
  store.toggleClass('aorta');
  assert.equal(calls, 3, 'no call after unsubscribe');
});

test('selectModel switches model and clears the ticks; picking the same model again keeps them', () => {
  const store = createPanelStore();
  store.selectModel('m1');
  store.toggleClass('liver');
  store.selectModel('m1');
  assert.deepEqual([...store.get().selected], ['liver']);
  store.selectModel('m2');
  assert.equal(store.get().modelId, 'm2');
  assert.equal(store.get().selected.size, 0);
});

test('setClasses ticks or unticks a whole group at once and leaves other ticks alone', () => {
  const store = createPanelStore();
  store.toggleClass('liver tumour');
  store.setClasses(['spleen', 'liver'], true);
  assert.deepEqual([...store.get().selected].sort(), ['liver', 'liver tumour', 'spleen']);
  store.setClasses(['spleen', 'liver'], false);
  assert.deepEqual([...store.get().selected], ['liver tumour']);
});
