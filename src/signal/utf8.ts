/**
 * UTF-8 through the TextEncoder/TextDecoder that browsers and Node (11+) both have. The ES lib
 * this codec is checked against does not declare them, which is what keeps DOM and Node APIs out.
 */
interface Utf8Globals {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new () => { decode(bytes: Uint8Array): string };
}

const globals = globalThis as unknown as Utf8Globals;
const encoder = new globals.TextEncoder();
const decoder = new globals.TextDecoder();

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
