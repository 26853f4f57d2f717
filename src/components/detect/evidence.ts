import type { Evidence } from '../../core/alerts.js';
import { sourceOf, type LogEvent } from '../../core/log-event.js';

/** An event as evidence: where it is and its line. */
export function evidenceOf(e: LogEvent): Evidence {
  return { source: sourceOf(e), line: e.raw() };
}
