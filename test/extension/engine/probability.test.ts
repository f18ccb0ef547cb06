import assert from 'node:assert/strict';
import { test } from 'node:test';
import { probabilityByte, writeProbabilityBytes } from '../../../extension/src/engine/probability.ts';

/** The float32 values next to `x` (below and above), by bit pattern. */
function neighbours(x: number): number[] {
  const f = new Float32Array([x, x, x]);
  const bits = new Int32Array(f.buffer);
  bits[0] = (bits[0] as number) - 1;
  bits[2] = (bits[2] as number) + 1;
  return [...f];
}

test('probability bytes from the step table equal round(255 * sigmoid(logit)) for every float32 logit tried, at every step edge', () => {
  const logits: number[] = [NaN, -Infinity, Infinity, 0, -0, 1e-40, -1e-40, 200, -200];
  // Every step edge and its float32 neighbours: logit((k - 0.5) / 255) for k = 1..255.
  for (let k = 1; k <= 255; k++) {
    const p = (k - 0.5) / 255;
    logits.push(...neighbours(Math.fround(Math.log(p / (1 - p)))));
  }
  // And a dense sweep over the range where bytes change.
  for (let v = -8; v <= 8; v += 1 / 1024) logits.push(v);
  const values = Float32Array.from(logits);
  const out = new Uint8Array(values.length + 3).fill(7);
  writeProbabilityBytes(values, out, 2);
  const expected = Uint8Array.from(values, (v) => probabilityByte(v));
  assert.deepEqual(out.subarray(2, 2 + values.length), expected);
  assert.deepEqual([out[0], out[1], out.at(-1)], [7, 7, 7], 'nothing written outside [at, at + length)');
  assert.deepEqual(
    [...out.subarray(2, 5)],
    [0, 0, 255],
    'NaN -> 0 (as a Uint8Array stores NaN), -Inf -> 0, +Inf -> 255',
  );
});
