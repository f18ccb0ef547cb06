// What a viewport screenshot shows of the segment overlays. OHIF blends a segment's colour into the grey CT (fill at
// half opacity and an outline), so an overlay pixel is one whose channels differ; the viewport's own chrome (blue
// border, icons) is coloured too and is left out by looking only inside the image area. Pale catalogue colours blend
// into weak tints (spleen [157, 108, 162] at half opacity differs by ~27 between channels), so "shown vs hidden"
// is judged by comparing two screenshots pixel by pixel rather than by a colour threshold.
import type { Locator } from 'playwright-core';
import { decodePng } from '../harness/png.ts';

/** Channel spread above which a pixel is tinted by an overlay (grey CT has none; the palest blend has ~27). */
const TINT = 16;
/** Sum of |dR| + |dG| + |dB| above which two screenshots differ at a pixel. */
const CHANGE = 12;
/** The image area: the viewport less its top bar (icons, study text), bottom bar (W/L, slice) and side borders. */
const INSET = { top: 0.13, bottom: 0.07, side: 0.01 };

/** Pixels inside the viewport's image area tinted by a segment overlay. */
export function overlayPixels(png: Buffer): number {
  const { width, height, data } = decodePng(png);
  const [x0, x1] = [Math.ceil(width * INSET.side), Math.floor(width * (1 - INSET.side))];
  const [y0, y1] = [Math.ceil(height * INSET.top), Math.floor(height * (1 - INSET.bottom))];
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0, p = (y * width + x0) * 4; x < x1; x++, p += 4) {
      const [r, g, b] = [data[p]!, data[p + 1]!, data[p + 2]!];
      if (Math.max(r, g, b) - Math.min(r, g, b) > TINT) n++;
    }
  }
  return n;
}

/** Pixels that differ between two screenshots of the same viewport. */
export function changedPixels(a: Buffer, b: Buffer): number {
  const [x, y] = [decodePng(a), decodePng(b)];
  if (x.width !== y.width || x.height !== y.height) {
    throw new Error(`screenshots of ${x.width}x${x.height} and ${y.width}x${y.height} pixels`);
  }
  let n = 0;
  for (let p = 0; p < x.data.length; p += 4) {
    const d =
      Math.abs(x.data[p]! - y.data[p]!) +
      Math.abs(x.data[p + 1]! - y.data[p + 1]!) +
      Math.abs(x.data[p + 2]! - y.data[p + 2]!);
    if (d > CHANGE) n++;
  }
  return n;
}

/**
 * Screenshots the viewport until `done` holds for one, every 0.5 s for up to `ms` (rendering lags a click on a loaded
 * machine); returns the last screenshot, whether or not it satisfied `done`.
 */
export async function screenshotWhen(
  viewport: Locator,
  done: (png: Buffer) => boolean,
  ms = 10_000,
): Promise<Buffer> {
  let png = await viewport.screenshot();
  for (let waited = 0; waited < ms && !done(png); waited += 500) {
    await viewport.page().waitForTimeout(500);
    png = await viewport.screenshot();
  }
  return png;
}
