/** Dice of two 0/1 masks of equal length; 1 when both are empty (they agree that the class is absent). */
export function dice(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new Error(`masks of ${a.length} and ${b.length} voxels cannot be compared`);
  let both = 0;
  let sum = 0;
  for (let n = 0; n < a.length; n++) {
    const x = a[n] ? 1 : 0;
    const y = b[n] ? 1 : 0;
    both += x & y;
    sum += x + y;
  }
  return sum === 0 ? 1 : (2 * both) / sum;
}
