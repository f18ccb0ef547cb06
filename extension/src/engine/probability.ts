/**
 * Probability maps store round(255 * sigmoid(logit)) per voxel. Since that byte is a non-decreasing function of the
 * logit, it changes at 255 fixed logits: finding where a float32 logit falls among them gives the same byte as the
 * formula, without an exp per voxel and class.
 */

/** round(255 * sigmoid(logit)): the byte a probability map holds for `logit`. */
export function probabilityByte(logit: number): number {
  return Math.round(255 / (1 + Math.exp(-logit)));
}

/** The next float32 above `x` (finite x), by its bit pattern. */
function nextFloat32(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Int32Array(f.buffer);
  if (x === 0) return 1.401298464324817e-45;
  bits[0] = (bits[0] as number) + (x > 0 ? 1 : -1);
  return f[0] as number;
}

/** The smallest float32 logit whose byte is >= k, by bisection between float32 values (the byte is monotone). */
function firstLogitReaching(k: number): number {
  let lo = -104; // byte 0 (sigmoid underflows long before)
  let hi = 104; // byte 255
  for (;;) {
    const mid = Math.fround((lo + hi) / 2);
    if (mid === lo || mid === hi) break;
    if (probabilityByte(mid) >= k) hi = mid;
    else lo = mid;
  }
  // lo and hi are now adjacent or equal float32 values with byte(lo) < k <= byte(hi).
  const next = nextFloat32(lo);
  return probabilityByte(next) >= k ? next : hi;
}

let steps: Float32Array | undefined;

/** steps[k - 1] = the smallest float32 logit whose byte is >= k, for k = 1 .. 255 (computed once). */
function logitSteps(): Float32Array {
  steps ??= Float32Array.from({ length: 255 }, (_, i) => firstLogitReaching(i + 1));
  return steps;
}

/** out[at + i] = probabilityByte(logits[i]) for every i, exactly, for float32 logits (NaN gives 0, as Uint8Array stores it). */
export function writeProbabilityBytes(logits: Float32Array, out: Uint8Array, at: number): void {
  const s = logitSteps();
  const low = s[0] as number;
  const high = s[254] as number;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (!(v >= low)) out[at + i] = 0;
    else if (v >= high) out[at + i] = 255;
    else {
      // Largest k with s[k - 1] <= v: binary search over steps 1 .. 254.
      let a = 1;
      let b = 254;
      while (a < b) {
        const m = (a + b + 1) >> 1;
        if ((s[m - 1] as number) <= v) a = m;
        else b = m - 1;
      }
      out[at + i] = a;
    }
  }
}
