import { createHash, randomBytes } from 'node:crypto';

/**
 * Kubernetes object names. EndSession names are RFC 1123 labels (the strictest form, so they
 * are valid wherever a name goes), derived from what the action is for: a retry of the same
 * action reuses its name, and the API server's 409 then means an earlier attempt already
 * created it. OpenUnison deletes EndSessions about a minute after creation, so each action
 * needs its own name rather than a name per user.
 */

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** An RFC 1123 label: lowercase alphanumerics and '-', alphanumeric at both ends, at most 63. */
export function isRfc1123Label(s: string): boolean {
  return s.length <= 63 && LABEL.test(s);
}

function hash(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p, 'utf8').update('\0');
  return h.digest('hex');
}

/** A readable, label-safe fragment of an alert id (ids are detection's business: any string). */
function slug(s: string, max: number): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
}

/** The EndSession name of the automatic response to `alertId`: the same for every retry. */
export function endSessionNameForAlert(alertId: string, dn: string): string {
  const readable = slug(alertId, 30);
  return `ouwatch-${readable ? readable + '-' : ''}${hash('alert', alertId, dn).slice(0, 12)}`;
}

/** The EndSession name of a person's action: fresh each time the command is run. */
export function endSessionNameForPerson(dn: string, now: number): string {
  return `ouwatch-manual-${hash('person', dn, String(now), randomBytes(8).toString('hex')).slice(0, 16)}`;
}
