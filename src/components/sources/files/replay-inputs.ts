import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { ArchiveInput, InputError } from './archive-input.js';
import { podSegments } from './pod-segments.js';

/** Fails fast, before anything is read, on inputs that cannot work. */
export async function checkInputPaths(paths: string[]): Promise<void> {
  if (paths.filter((p) => p === '-').length > 1) throw new InputError('stdin (-) can be given only once');
  for (const p of paths) {
    if (p === '-') continue;
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? `no such file: ${p}` : `cannot read ${p}: ${(err as Error).message}`);
    }
    if (st.isDirectory()) throw new InputError(`${p} is a directory; give the log files inside it (for example ${p}/*.log)`);
    try {
      await access(p, fsConstants.R_OK);
    } catch {
      throw new InputError(`cannot read ${p}: permission denied`);
    }
  }
}

/**
 * The inputs a replayed path is read as: the file, or, for a `kubectl logs --prefix` file that
 * holds several pods one after another, each pod's run of lines as its own input, so that the
 * merge reads them in log-time order as it would one file per pod.
 */
export async function replayInputs(path: string, opts: { timeOrder?: boolean } = {}): Promise<ArchiveInput[]> {
  const whole = [new ArchiveInput(path, opts)];
  if (path === '-') return whole;
  const segments = await podSegments(path);
  return segments === null ? whole : segments.map((segment) => new ArchiveInput(path, { ...opts, segment }));
}
