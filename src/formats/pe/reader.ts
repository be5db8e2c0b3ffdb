import { CountersignError } from '../../core/errors.js';

/**
 * Bounds-checked little-endian reads over a PE file's bytes. Every read that would leave the file
 * throws `E_PE_TRUNCATED` with the offset, so a hostile or cut file becomes a typed error and never
 * an `undefined` that leaks into arithmetic.
 */
export class PeReader {
  readonly bytes: Uint8Array;
  readonly size: number;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.size = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** True when `length` bytes starting at `offset` lie inside the file. */
  has(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && length >= 0 && offset + length <= this.size;
  }

  require(offset: number, length: number, what: string): void {
    if (!this.has(offset, length)) {
      throw new CountersignError(
        'E_PE_TRUNCATED',
        `${what} at offset ${offset} (${length} bytes) is beyond the end of the file (${this.size} bytes)`,
        {
          details: { offset, length, fileSize: this.size, what },
        },
      );
    }
  }

  u8(offset: number, what = 'byte'): number {
    this.require(offset, 1, what);
    return this.view.getUint8(offset);
  }

  u16(offset: number, what = 'u16'): number {
    this.require(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, what = 'u32'): number {
    this.require(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  /** 64-bit values as bigint: image bases and PE32+ thunks do not fit a double exactly. */
  u64(offset: number, what = 'u64'): bigint {
    this.require(offset, 8, what);
    return this.view.getBigUint64(offset, true);
  }

  slice(offset: number, length: number, what = 'range'): Uint8Array {
    this.require(offset, length, what);
    return this.bytes.subarray(offset, offset + length);
  }

  /** A NUL-terminated ASCII string of at most `max` bytes; stops at the file's end. */
  cString(offset: number, max: number): string {
    if (!this.has(offset, 1)) return '';
    const end = Math.min(this.size, offset + max);
    let out = '';
    for (let i = offset; i < end; i++) {
      const byte = this.bytes[i]!;
      if (byte === 0) break;
      out += String.fromCharCode(byte);
    }
    return out;
  }
}

export function malformed(message: string, details?: Record<string, unknown>): CountersignError {
  return new CountersignError('E_PE_MALFORMED', message, details ? { details } : undefined);
}
