import { SignalError } from './errors.ts';

/** Growable byte sink for building frames and payloads. */
export class ByteWriter {
  private buf = new Uint8Array(128);
  private len = 0;

  u8(value: number): this {
    this.ensure(1);
    this.buf[this.len++] = value & 0xff;
    return this;
  }

  u16(value: number): this {
    return this.u8(value >>> 8).u8(value);
  }

  u32(value: number): this {
    return this.u16(value >>> 16).u16(value & 0xffff);
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  /** LEB128-style unsigned varint: one byte below 128, which every compact payload is. */
  varint(value: number): this {
    let v = value;
    while (v >= 0x80) {
      this.u8((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    return this.u8(v);
  }

  get length(): number {
    return this.len;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/**
 * Bounds-checked reader. Running off the end of a payload whose checksum was good means the
 * producer and this decoder disagree on the layout, so that is E_MALFORMED, not a crash.
 */
export class ByteReader {
  private pos = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly shortCode: 'E_MALFORMED' | 'E_TRUNCATED' = 'E_MALFORMED',
  ) {}

  get remaining(): number {
    return this.data.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  u8(): number {
    this.need(1);
    return this.data[this.pos++]!;
  }

  u16(): number {
    return (this.u8() << 8) | this.u8();
  }

  u32(): number {
    return ((this.u16() << 16) >>> 0) + this.u16();
  }

  bytes(count: number): Uint8Array {
    this.need(count);
    const out = this.data.slice(this.pos, this.pos + count);
    this.pos += count;
    return out;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 4; i++) {
      const byte = this.u8();
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new SignalError(this.shortCode, `length field too long at byte ${this.pos}`);
  }

  private need(count: number): void {
    if (this.pos + count > this.data.length) {
      throw new SignalError(this.shortCode, `needed ${count} byte(s) at offset ${this.pos} of ${this.data.length}`);
    }
  }
}
