// Lines out of a byte stream, one at a time and each at most `maxByteLength`. A longer line is
// reported once (as `TOO_LONG`) when it passes the limit, and the rest of it is skipped up to its
// line break without being held or looked at, however the bytes arrive. Blank lines are skipped;
// CRLF ends a line like LF.
//
// Pulled rather than pushed, so the reader decides how many lines it handles before it lets the
// event loop run (a 64 KiB chunk can hold 32 000 lines).
export const TOO_LONG = Symbol('line too long');

export class LineReader {
  private readonly unread: Buffer[] = [];
  private offset = 0;
  private parts: Buffer[] = [];
  private held = 0;
  private skipping = false;
  private ended = false;

  constructor(private readonly maxByteLength: number) {}

  push(chunk: Buffer): void {
    if (chunk.length > 0) this.unread.push(chunk);
  }

  /** No more bytes will come: a last line without a line break counts. */
  end(): void {
    this.ended = true;
  }

  /** The next line, `TOO_LONG`, or undefined until more bytes come. */
  next(): string | typeof TOO_LONG | undefined {
    while (this.unread.length > 0) {
      const chunk = this.unread[0]!;
      const end = chunk.indexOf(0x0a, this.offset);
      const stop = end < 0 ? chunk.length : end;
      const piece = chunk.subarray(this.offset, stop);
      this.offset = end < 0 ? chunk.length : end + 1;
      if (this.offset >= chunk.length) {
        this.unread.shift();
        this.offset = 0;
      }
      let over = false;
      if (!this.skipping) {
        if (this.held + piece.length > this.maxByteLength) {
          this.skipping = true;
          over = true;
          this.parts = [];
          this.held = 0;
        } else if (piece.length > 0) {
          this.parts.push(piece);
          this.held += piece.length;
        }
      }
      if (end >= 0) {
        if (this.skipping) {
          this.skipping = false;
          if (over) return TOO_LONG;
          continue;
        }
        const line = this.take();
        if (line !== '') return line;
        continue;
      }
      if (over) return TOO_LONG;
    }
    if (this.ended && !this.skipping && this.held > 0) return this.take();
    return undefined;
  }

  private take(): string {
    const text = Buffer.concat(this.parts, this.held).toString('utf8');
    this.parts = [];
    this.held = 0;
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  }
}
