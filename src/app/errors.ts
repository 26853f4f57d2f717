import { ConfigError } from '../core/config-file.js';
import { InputError } from '../components/sources/files/archive-input.js';
import { KubeConfigError } from '../components/sinks/end-session/kube-errors.js';
import { TargetError } from '../components/sinks/end-session/manifest.js';
import { StoreOpenError } from '../store/sqlite/database.js';
import { LeaseHeldError } from '../core/writer-lease.js';

/**
 * A request an analyst can fix: a malformed filter, an unknown id or rule, a DN never seen.
 * The CLI prints it on one line and exits 2; the console's API answers 400 (404 for NotFound).
 */
export class ReviewError extends Error {}

/** The thing asked for does not exist. */
export class NotFoundError extends ReviewError {}

/** Errors a person fixes (arguments, configuration, input, the db path): one line, exit 2. */
export function isUserFixable(err: unknown): boolean {
  return (
    err instanceof ReviewError ||
    err instanceof ConfigError ||
    err instanceof StoreOpenError ||
    err instanceof InputError ||
    err instanceof KubeConfigError ||
    err instanceof TargetError ||
    err instanceof RangeError ||
    err instanceof LeaseHeldError
  );
}
