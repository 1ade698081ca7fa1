// The boot configuration (/etc/pigeon/agent.conf, docs/boot.md): `key = value` lines whose keys are
// `pi-agent offer`'s long flags without the dashes. It becomes those flags, placed before the ones
// given on the command line (which win), so the file and the flags can never mean two things.
// Every mistake is named with its line, its key and what is allowed.
import { readFile } from 'node:fs/promises';
import { AgentError } from '../core/errors.ts';
import { STREAM_FLAGS, parseStreamOptions, type StreamOptions } from './options.ts';

type FlagName = keyof typeof STREAM_FLAGS;

/** Keys that make no sense in a file the unit reads. */
const NOT_IN_FILE: readonly string[] = ['help'];
const YES = ['true', 'yes', 'on', '1'];
const NO = ['false', 'no', 'off', '0'];

/** One mistake in the file: where, which key, what is wrong. */
export interface ConfigProblem {
  line: number;
  key: string;
  message: string;
}

export interface ParsedConfig {
  /** The file as flags, in its order. */
  args: string[];
  problems: ConfigProblem[];
}

function isFlag(key: string): key is FlagName {
  return Object.hasOwn(STREAM_FLAGS, key) && !NOT_IN_FILE.includes(key);
}

const allowedKeys = (): string => Object.keys(STREAM_FLAGS).filter(isFlag).join(', ');

/** One `key = value` line as flags, or the problem with it. */
function lineArgs(key: FlagName, value: string): string[] | string {
  const spec: { type: string; multiple?: boolean } = STREAM_FLAGS[key];
  if (key === 'serve-page') {
    if (YES.includes(value)) return ['--serve-page'];
    if (NO.includes(value)) return [];
    return /^\d+$/.test(value) ? [`--serve-page=${value}`] : `must be a port number, or yes/no (port 8080), not "${value}"`;
  }
  if (spec.type === 'boolean') {
    if (YES.includes(value)) return [`--${key}`];
    // scan is on by default for camera sources: "no" must say so.
    if (NO.includes(value)) return key === 'scan' ? ['--no-scan'] : [];
    return `must be yes or no (or true/false, on/off, 1/0), not "${value}"`;
  }
  if (value === '') return 'needs a value after "="';
  return [`--${key}=${value}`];
}

/** Reads the text of a config file into flags; nothing is thrown, every problem is listed. */
export function parseConfig(text: string): ParsedConfig {
  const args: string[] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const eq = trimmed.indexOf('=');
    if (eq < 0) {
      problems.push({ line, key: trimmed, message: 'is not "key = value" (e.g. "source = test"); comments start with #' });
      return;
    }
    const key = trimmed.slice(0, eq).trim().replace(/^--/, '');
    const value = unquote(trimmed.slice(eq + 1).trim());
    if (!isFlag(key)) {
      problems.push({ line, key, message: `is not an option; the keys are the flags of "pi-agent offer" without "--": ${allowedKeys()}` });
      return;
    }
    const first = seen.get(key);
    if (first !== undefined && !('multiple' in STREAM_FLAGS[key])) {
      problems.push({ line, key, message: `is given twice (first on line ${first}); only ip and ice-server may repeat` });
      return;
    }
    seen.set(key, first ?? line);
    const made = lineArgs(key, value);
    if (typeof made === 'string') problems.push({ line, key, message: made });
    else args.push(...made);
  });
  if (problems.length === 0) problems.push(...wholeProblems(args, seen));
  return { args, problems };
}

function unquote(value: string): string {
  const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
  return quoted ? quoted[1]! : value;
}

/** What only the whole set can tell (a number out of range, hailo without hef), put on the key's line. */
function wholeProblems(args: string[], seen: ReadonlyMap<string, number>): ConfigProblem[] {
  try {
    parseStreamOptions(args);
    return [];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const key = /--([a-z-]+)/.exec(message)?.[1] ?? '';
    return [{ line: seen.get(key) ?? 0, key, message: message.replaceAll(/--([a-z-]+)/g, '$1') }];
  }
}

export function formatProblem(file: string, problem: ConfigProblem): string {
  return problem.line > 0 ? `${file}:${problem.line}: ${problem.key}: ${problem.message}` : `${file}: ${problem.message}`;
}

async function readConfig(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    const why = (cause as { code?: string }).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(cause as Error).message})`;
    throw new AgentError('E_CONFIG', `the config file ${file} ${why}; pi-agent/systemd/agent.conf is the one to copy there (docs/boot.md)`, { cause });
  }
}

/** The file's flags, or E_CONFIG naming every problem in it. */
export async function configArgs(file: string): Promise<string[]> {
  const { args, problems } = parseConfig(await readConfig(file));
  if (problems.length > 0) throw new AgentError('E_CONFIG', `${problems.map((p) => formatProblem(file, p)).join('\n')}`);
  return args;
}

/** `--config FILE` anywhere in `args` replaced by the file's flags, put first so the command line wins. */
export async function withConfig(args: string[]): Promise<string[]> {
  const at = args.findIndex((arg) => arg === '--config' || arg.startsWith('--config='));
  if (at < 0) return args;
  const inline = args[at]!.startsWith('--config=');
  const file = inline ? args[at]!.slice('--config='.length) : args[at + 1];
  if (file === undefined || file === '') throw new AgentError('E_USAGE', '--config needs a file, e.g. --config /etc/pigeon/agent.conf');
  const rest = [...args.slice(0, at), ...args.slice(at + (inline ? 1 : 2))];
  return [...(await configArgs(file)), ...(await withConfig(rest))];
}

/** `pi-agent check-config FILE`: the options the file gives, or each problem with its line. */
export async function checkConfig(file: string | undefined): Promise<{ options: StreamOptions; args: string[] }> {
  if (file === undefined) throw new AgentError('E_USAGE', 'check-config needs the file to check, e.g. pi-agent check-config /etc/pigeon/agent.conf');
  const args = await configArgs(file);
  return { options: parseStreamOptions(args), args };
}
