import { spawn } from 'node:child_process';
import { PipelineError } from '../core/errors.ts';
import type { RequiredElement } from './pipeline-spec.ts';

export interface CheckElementsOptions {
  /** Default 'gst-inspect-1.0' from PATH. */
  gstInspect?: string;
  env?: NodeJS.ProcessEnv;
}

type Probe = 'found' | 'missing' | 'no-inspect';

/**
 * `--exists` alone also demands the plugin's version be at least GStreamer's own (1.22), which
 * refuses plugins versioned apart from GStreamer: libcamera's carries libcamera's (0.0.3 on
 * Debian 12, 0.x on Raspberry Pi OS), Hailo's carries TAPPAS'. Any version will do.
 */
const EXISTS = ['--exists', '--atleast-version=0.0.0'];

function probe(gstInspect: string, name: string, env: NodeJS.ProcessEnv): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const child = spawn(gstInspect, [...EXISTS, name], { stdio: 'ignore', env });
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') resolve('no-inspect');
      else reject(new PipelineError('E_GST_START', `could not run ${gstInspect}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code) => resolve(code === 0 ? 'found' : 'missing'));
  });
}

function advice(element: RequiredElement): string {
  const { name, debianPackage } = element;
  if (debianPackage === '') {
    return `GStreamer element ${name} is missing: Pigeon does not know which package provides it; check the name (gst-inspect-1.0 ${name})`;
  }
  const where = debianPackage === 'hailo-all' ? ' (Raspberry Pi OS, then reboot)' : '';
  return `GStreamer element ${name} is missing: install ${debianPackage}${where}: sudo apt install ${debianPackage}`;
}

/** Whether one element is installed (false also when GStreamer itself is not). */
export async function hasElement(name: string, opts: CheckElementsOptions = {}): Promise<boolean> {
  return (await probe(opts.gstInspect ?? 'gst-inspect-1.0', name, opts.env ?? process.env)) === 'found';
}

/**
 * Asks gst-inspect-1.0 about every element before the pipeline starts, so a missing plugin is
 * reported by name with the package to install instead of as gst-launch's parse error.
 */
export async function checkElements(elements: readonly RequiredElement[], opts: CheckElementsOptions = {}): Promise<void> {
  const gstInspect = opts.gstInspect ?? 'gst-inspect-1.0';
  const env = opts.env ?? process.env;
  const unique = [...new Map(elements.map((e) => [e.name, e])).values()];
  const results = await Promise.all(unique.map((e) => probe(gstInspect, e.name, env)));
  if (results.includes('no-inspect')) {
    throw new PipelineError(
      'E_GST_NOT_INSTALLED',
      `${gstInspect} was not found, so GStreamer is not installed: sudo apt install gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good`,
    );
  }
  const missing = unique.filter((_, i) => results[i] === 'missing');
  if (missing.length === 0) return;
  const lines = missing.map(advice);
  const packages = [...new Set(missing.map((e) => e.debianPackage).filter((p) => p !== ''))];
  if (packages.length > 1) lines.push(`All at once: sudo apt install ${packages.join(' ')}`);
  lines.push('If it is installed already, gst-inspect-1.0 -b lists the plugins GStreamer could not load.');
  throw new PipelineError('E_GST_MISSING', lines.join('\n'), { missing });
}
