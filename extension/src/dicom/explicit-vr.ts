// Explicit VR Little Endian encoding of data elements, for the bulk of a SEG: its per-frame functional groups and
// pixel data. dcmjs builds and writes several objects per element, about 1 ms per SEG frame (0.5-1 s for the ~800
// frames of 30 classes), while every frame item has one fixed shape. The bytes follow dcmjs's encoding (sequences
// and items of undefined length, text padded to even length with a space, UIDs with a null), so a file mixing both
// reads and writes back unchanged through dcmjs (test/extension/dicom/seg.test.ts).

/** The text VRs this writer encodes (ASCII only). */
export type TextVr = 'CS' | 'DS' | 'LO' | 'SH' | 'UI';

const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const UNDEFINED_LENGTH = 0xffffffff;

/** A growing buffer of encoded elements, in the order they are written (the caller keeps tags ascending). */
export class ExplicitVrWriter {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  /** The bytes written so far. */
  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** A text element; `values` are joined with backslashes (the value multiplicity delimiter). */
  text(tag: number, vr: TextVr, values: readonly string[]): void {
    const value = values.join('\\');
    for (let n = 0; n < value.length; n++) {
      const c = value.charCodeAt(n);
      if (c < 0x20 || c > 0x7e) {
        throw new RangeError(
          `${tagText(tag)} ${vr} ${JSON.stringify(value)}: character ${n} is not printable ASCII`,
        );
      }
    }
    const padded = value.length % 2 === 0 ? value : value + (vr === 'UI' ? '\0' : ' ');
    this.header(tag, vr, padded.length);
    this.reserve(padded.length);
    for (let n = 0; n < padded.length; n++) this.buffer[this.length++] = padded.charCodeAt(n);
  }

  /** A US (unsigned 16-bit) or UL (unsigned 32-bit) element. */
  integers(tag: number, vr: 'US' | 'UL', values: readonly number[]): void {
    const size = vr === 'US' ? 2 : 4;
    this.header(tag, vr, size * values.length);
    this.reserve(size * values.length);
    for (const v of values) {
      if (size === 2) this.view.setUint16(this.length, v, true);
      else this.view.setUint32(this.length, v, true);
      this.length += size;
    }
  }

  /** An OB element; `data` must have an even length. */
  otherBytes(tag: number, data: Uint8Array): void {
    if (data.length % 2 !== 0) throw new RangeError(`${tagText(tag)} OB: odd length ${data.length}`);
    this.header(tag, 'OB', data.length);
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  /** A sequence of `count` items, undefined lengths; `item(n)` writes the elements of item n. */
  sequence(tag: number, count: number, item: (n: number) => void): void {
    this.header(tag, 'SQ', UNDEFINED_LENGTH);
    for (let n = 0; n < count; n++) {
      this.delimiter(ITEM, UNDEFINED_LENGTH);
      item(n);
      this.delimiter(ITEM_END, 0);
    }
    this.delimiter(SEQUENCE_END, 0);
  }

  private header(tag: number, vr: string, length: number): void {
    const long = vr === 'SQ' || vr === 'OB';
    if (!long && length > 0xffff) throw new RangeError(`${tagText(tag)} ${vr}: ${length} bytes exceed 65535`);
    this.reserve(12);
    this.tag(tag);
    this.buffer[this.length++] = vr.charCodeAt(0);
    this.buffer[this.length++] = vr.charCodeAt(1);
    if (long) {
      this.view.setUint16(this.length, 0, true);
      this.view.setUint32(this.length + 2, length, true);
      this.length += 6;
    } else {
      this.view.setUint16(this.length, length, true);
      this.length += 2;
    }
  }

  private delimiter(tag: number, length: number): void {
    this.reserve(8);
    this.tag(tag);
    this.view.setUint32(this.length, length, true);
    this.length += 4;
  }

  private tag(tag: number): void {
    this.view.setUint16(this.length, tag >>> 16, true);
    this.view.setUint16(this.length + 2, tag & 0xffff, true);
    this.length += 4;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(2 * this.buffer.length, this.length + n));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** "(gggg,eeee)". */
export const tagText = (tag: number): string =>
  `(${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')})`.toUpperCase();
