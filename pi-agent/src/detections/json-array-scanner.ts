// The objects of one JSON array that a writer keeps growing in place, as TAPPAS' hailoexportfile
// does (core/hailo/plugins/export/export_file/gsthailoexportfile.cpp in hailo-ai/tappas): the file
// starts as `[]`; for each frame the writer seeks back onto the closing `]`, writes `,` (or nothing,
// for the first entry), the frame's pretty-printed object, and a new `]`.
//
// So the byte where the array closes is overwritten by the next frame: a reader must not step past
// it. `push()` hands back where to read next — on that `]` again when it was the last byte seen —
// and keeps its place inside a half-written object across reads. Each object is cut out as text
// (strings and escapes respected) at most `maxBytes` long; a longer one is reported once as
// TOO_LARGE and skipped to its end without being held.
export const TOO_LARGE = Symbol('object too large');

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const isSpace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

export class NotAnArrayError extends Error {}

export class JsonArrayScanner {
  private opened = false;
  /** Nesting inside the current element; 0 between elements. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: Buffer[] = [];
  private held = 0;
  private skipping = false;

  constructor(private readonly maxBytes: number) {}

  /** Reads on from a place between two elements of the array, its `[` long passed. */
  resume(): void {
    this.opened = true;
  }

  /**
   * Bytes read at file position `at`: the whole objects they finish, and the position to read
   * from next. Throws NotAnArrayError when the text does not start with `[`.
   */
  push(chunk: Buffer, at: number): { objects: (string | typeof TOO_LARGE)[]; next: number } {
    const objects: (string | typeof TOO_LARGE)[] = [];
    let close = -1;
    let start = -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.depth === 0) {
        if (!this.opened) {
          if (byte === OPEN_ARRAY) this.opened = true;
          else if (!isSpace(byte)) throw new NotAnArrayError('not a JSON array');
          continue;
        }
        if (byte === OPEN_OBJECT) {
          this.depth = 1;
          start = i;
          close = -1;
        } else if (byte === CLOSE_ARRAY) close = at + i;
        else if (!isSpace(byte)) close = -1;
        // Between elements: `,` and whitespace, and a `]` the writer will overwrite.
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
        continue;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) this.depth++;
      else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        this.depth--;
        if (this.depth === 0) {
          const kept = this.hold(chunk.subarray(start < 0 ? 0 : start, i + 1));
          if (kept === true) objects.push(this.take());
          else if (kept === false) objects.push(TOO_LARGE);
          this.skipping = false;
          start = -1;
          continue;
        }
      }
    }
    if (this.depth > 0) {
      const over = this.hold(chunk.subarray(start < 0 ? 0 : start)) === false;
      if (over) objects.push(TOO_LARGE);
    }
    // The array's end as of now is the next frame's first byte later: read it again.
    return { objects, next: close >= 0 ? close : at + chunk.length };
  }

  /** Keeps a piece of the current object; false the first time the object goes over the cap. */
  private hold(piece: Buffer): boolean | undefined {
    if (this.skipping) return undefined;
    if (this.held + piece.length > this.maxBytes) {
      this.skipping = true;
      this.parts = [];
      this.held = 0;
      return false;
    }
    this.parts.push(piece);
    this.held += piece.length;
    return true;
  }

  private take(): string {
    const text = Buffer.concat(this.parts, this.held).toString('utf8');
    this.parts = [];
    this.held = 0;
    return text;
  }
}
