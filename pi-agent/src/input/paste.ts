// Joins a code pasted over several lines: a line that reads as cut short waits for the next,
// and the two are read together. Decided as each line is read, before anything is done with the
// previous one, so the same lines join the same way whether they arrive in one write or many.
import { isSignalError, readFrame } from '@pigeon/signal';
import { AgentError } from '../core/errors.ts';

export type Paste =
  | { kind: 'whole'; text: string }
  | { kind: 'partial'; chars: number }
  | { kind: 'refused'; error: unknown }
  | { kind: 'blank' };

export class PasteJoiner {
  private pending = '';

  constructor(private readonly maxChars: number) {}

  add(line: string): Paste {
    if (line.trim() === '') return { kind: 'blank' };
    const text = this.pending === '' ? line : `${this.pending}\n${line}`;
    this.pending = '';
    if (text.length > this.maxChars) {
      return {
        kind: 'refused',
        error: new AgentError('E_TOO_LARGE', `a paste of ${text.length} characters over several lines; a code is at most ${this.maxChars}`),
      };
    }
    try {
      // Whole is a frame matter (length and checksum); what is inside is for whoever takes it.
      readFrame(text);
      return { kind: 'whole', text };
    } catch (error) {
      if (isSignalError(error) && error.code === 'E_TRUNCATED') {
        this.pending = text;
        return { kind: 'partial', chars: text.length };
      }
      return { kind: 'refused', error };
    }
  }
}
