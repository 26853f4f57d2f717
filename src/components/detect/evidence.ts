import type { Evidence } from '../../core/alerts.js';
import type { Finding } from './detector.js';
import type { LogEvent } from '../../core/log-event.js';

/** An event as evidence: where it is and its line (shared by everything that names the event). */
export function evidenceOf(e: LogEvent): Evidence {
  return e.evidence();
}

/** Whom and where a finding about a user names: the event's DN, and an address with its country. */
export function namedOn(e: LogEvent, at: { readonly ip: string; readonly country: string | null }): Pick<Finding, 'dn' | 'dnSha1' | 'ip' | 'country'> {
  const dn = e.dn!;
  return { dn: dn.dn, dnSha1: dn.sha1, ip: at.ip, country: at.country };
}
