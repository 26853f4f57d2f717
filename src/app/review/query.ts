import { isCidr } from '../../core/address-set.js';
import { ALERT_STATUSES, SEVERITIES, type AlertStatus, type Severity } from '../../core/alerts.js';
import type { PageRequest } from '../../core/review-ports.js';
import { TIME_SPEC_HELP, parseTimeSpec } from '../../core/time-spec.js';
import { ReviewError } from '../errors.js';

/**
 * The listing vocabulary shared by every listing command and the console's API: the same
 * names, the same meanings, the same messages. Values arrive as text (flags, query strings).
 */
export interface ListQuery {
  status?: string;
  severity?: string;
  rule?: string;
  dn?: string;
  ip?: string;
  since?: string;
  until?: string;
  limit?: string;
  offset?: string;
  sort?: string;
}

export const LIST_DEFAULTS = { status: 'open,acknowledged', limit: 50 } as const;

/** How a parameter is named in messages: `--severity` on the command line, `severity` in the API. */
export type Namer = (name: string) => string;
export const flagName: Namer = (n) => `--${n}`;
export const paramName: Namer = (n) => n;

export interface Parsed<S extends string> {
  statuses?: S[];
  severities?: Severity[];
  rules?: string[];
  /** `*` is any text; ASCII letters match in any case. */
  dnPattern?: string;
  ip?: string;
  since?: number;
  until?: number;
  page: PageRequest;
}

const listOf = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * Text -> filter and page, refusing anything malformed with one sentence naming the parameter.
 * `knownRules`: rule ids an unknown `rule` is checked against (empty: not checked).
 */
export function parseListQuery<S extends string = AlertStatus>(
  q: ListQuery,
  opts: { now: number; name: Namer; knownRules: readonly string[]; statuses?: readonly S[]; defaultStatus?: string; defaultSort?: PageRequest['sort'] },
): Parsed<S> {
  const name = opts.name;
  const statuses = (opts.statuses ?? ALERT_STATUSES) as readonly string[];
  const out: Parsed<S> = { page: { offset: 0, limit: LIST_DEFAULTS.limit, sort: opts.defaultSort ?? 'time' } };
  const status = q.status ?? opts.defaultStatus ?? LIST_DEFAULTS.status;
  if (status.trim().toLowerCase() !== 'all') {
    const wanted = listOf(status.toLowerCase());
    for (const s of wanted) if (!statuses.includes(s)) throw new ReviewError(`${name('status')} expects ${statuses.join(', ')} (comma-separated) or all, got '${s}'`);
    out.statuses = wanted as S[];
  }
  if (q.severity !== undefined) out.severities = severitiesOf(q.severity, name);
  if (q.rule !== undefined) {
    const rules = listOf(q.rule);
    const unknown = opts.knownRules.length === 0 ? [] : rules.filter((r) => !opts.knownRules.includes(r));
    if (unknown.length > 0) throw new ReviewError(`${name('rule')}: unknown rule ${unknown.map((r) => `'${r}'`).join(', ')} (known: ${opts.knownRules.join(', ')})`);
    out.rules = rules;
  }
  if (q.dn !== undefined && q.dn !== '') out.dnPattern = q.dn;
  if (q.ip !== undefined && q.ip !== '') {
    if (!isCidr(q.ip)) throw new ReviewError(`${name('ip')} expects an address or a CIDR block, got '${q.ip}'`);
    out.ip = q.ip;
  }
  if (q.since !== undefined && q.since !== '') out.since = timeOf(q.since, 'since', opts.now, name);
  if (q.until !== undefined && q.until !== '') out.until = timeOf(q.until, 'until', opts.now, name);
  if (out.since !== undefined && out.until !== undefined && out.since > out.until) throw new ReviewError(`${name('since')} is after ${name('until')}: nothing can match`);
  if (q.limit !== undefined) out.page.limit = q.limit.trim().toLowerCase() === 'all' ? null : wholeNumber(q.limit, 'limit', 1, name);
  if (q.offset !== undefined) out.page.offset = wholeNumber(q.offset, 'offset', 0, name);
  if (q.sort !== undefined) {
    if (q.sort !== 'time' && q.sort !== 'severity') throw new ReviewError(`${name('sort')} expects time or severity, got '${q.sort}'`);
    out.page.sort = q.sort;
  }
  return out;
}

/** `high`, `HIGH`, `medium,critical`, or `high+` (that level and above). */
export function severitiesOf(spec: string, name: Namer): Severity[] {
  const text = spec.trim().toLowerCase();
  const expected = `${name('severity')} expects ${SEVERITIES.join(', ')} (comma-separated) or LEVEL+ (that level and above)`;
  if (text.endsWith('+')) {
    const from = text.slice(0, -1) as Severity;
    if (!SEVERITIES.includes(from)) throw new ReviewError(`${expected}, got '${spec}'`);
    return SEVERITIES.slice(SEVERITIES.indexOf(from));
  }
  const levels = listOf(text);
  for (const l of levels) if (!SEVERITIES.includes(l as Severity)) throw new ReviewError(`${expected}, got '${l}'`);
  return levels as Severity[];
}

function timeOf(spec: string, what: string, now: number, name: Namer): number {
  const t = parseTimeSpec(spec, now);
  if (t === null) throw new ReviewError(`${name(what)} expects ${TIME_SPEC_HELP}, got '${spec}'`);
  return t;
}

function wholeNumber(text: string, what: string, min: number, name: Namer): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new ReviewError(`${name(what)} expects a whole number${min > 0 ? ` of ${min} or more` : ''}${what === 'limit' ? ' (or all)' : ''}, got '${text}'`);
  }
  return n;
}
