import type { Scalar } from 'yaml';
import { isRfc1123Label } from './names.js';
import { UserFixableError } from '../../../core/errors.js';
import { yaml } from '../../../core/yaml.js';

/**
 * The two steps of ending a user's sessions (docs/openunison.md), as data:
 * 1. delete the user's `oidc-sessions` by label `tremolo.io/user-dn=<sha1>` (stops kubectl refresh),
 * 2. create an `EndSession` whose `spec.dn` is the DN exactly as logged (ends web sessions).
 * The DN is attacker-influenced: it only ever reaches YAML through the yaml library and JSON
 * through JSON.stringify, never through string building.
 */

export const OPENUNISON_GROUP = 'openunison.tremolo.io';
export const ENDSESSION = { group: OPENUNISON_GROUP, version: 'v1', plural: 'endsessions', kind: 'EndSession' } as const;
export const OIDC_SESSIONS = { group: OPENUNISON_GROUP, version: 'v2', plural: 'oidc-sessions', kind: 'OidcSession' } as const;
export const USER_DN_LABEL = 'tremolo.io/user-dn';

/** Who and where: everything an end-session action needs. */
export interface EndSessionTarget {
  dn: string;
  dnSha1: string;
  /** EndSession object name (RFC 1123). */
  name: string;
  namespace: string;
  /** kubeconfig context; null = the current one. */
  context: string | null;
  /** The alert that asked for it, kept as an annotation for the audit trail. */
  alertId: string | null;
}

export interface EndSessionObject {
  apiVersion: string;
  kind: 'EndSession';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { dn: string };
}

/** A problem with a namespace, context or name given by a person or a config file. */
export class TargetError extends UserFixableError {}

/** Namespace and name are RFC 1123 labels; a context carries no control characters. */
export function checkTarget(t: Pick<EndSessionTarget, 'name' | 'namespace' | 'context'>): void {
  if (!isRfc1123Label(t.namespace)) throw new TargetError(`namespace ${JSON.stringify(t.namespace)} is not a valid Kubernetes namespace (RFC 1123 label)`);
  if (!isRfc1123Label(t.name)) throw new TargetError(`object name ${JSON.stringify(t.name)} is not a valid RFC 1123 name`);
  if (t.context !== null && (t.context === '' || /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/.test(t.context))) {
    throw new TargetError(`context ${JSON.stringify(t.context)} is empty or contains control characters`);
  }
}

export function endSessionObject(t: EndSessionTarget): EndSessionObject {
  const obj: EndSessionObject = {
    apiVersion: `${ENDSESSION.group}/${ENDSESSION.version}`,
    kind: 'EndSession',
    metadata: { name: t.name, namespace: t.namespace, labels: { 'app.kubernetes.io/managed-by': 'ouwatch' } },
    spec: { dn: t.dn },
  };
  if (t.alertId !== null) obj.metadata.annotations = { 'ouwatch.io/alert': t.alertId };
  return obj;
}

export function userDnSelector(dnSha1: string): string {
  return `${USER_DN_LABEL}=${dnSha1}`;
}

/** `kubectl [--context C] delete oidc-sessions -l tremolo.io/user-dn=<sha1> -n <ns>`, safe to paste. */
export function kubectlDeleteCommand(t: Pick<EndSessionTarget, 'dnSha1' | 'namespace' | 'context'>): string {
  const ctx = t.context === null ? '' : `--context ${shellQuote(t.context)} `;
  return `kubectl ${ctx}delete ${OIDC_SESSIONS.plural} -l ${userDnSelector(t.dnSha1)} -n ${t.namespace}`;
}

/** POSIX shell quoting: bare when harmless, else single quotes with `'\''` for embedded quotes. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9@%_+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The EndSession as one YAML document, preceded by `#` comments naming the delete step
 * (safe for `kubectl apply -f -`). The DN is written double-quoted with JSON escapes; the
 * characters JSON leaves raw but YAML 1.1 parsers (kubectl's) read as line breaks or reject
 * (NEL, LS, PS, C1 controls, BOM) are escaped too, so every YAML parser reads the DN back
 * exactly. Comments carry only the hex SHA-1 and checked names, never the DN.
 */
export function endSessionYaml(t: EndSessionTarget, opts: { comments?: boolean } = {}): string {
  checkTarget(t);
  const { Document, Scalar } = yaml();
  const doc = new Document(endSessionObject(t));
  (doc.getIn(['spec', 'dn'], true) as Scalar).type = Scalar.QUOTE_DOUBLE;
  if (t.alertId !== null) (doc.getIn(['metadata', 'annotations', 'ouwatch.io/alert'], true) as Scalar).type = Scalar.QUOTE_DOUBLE;
  if (opts.comments !== false) {
    const ctx = t.context === null ? '' : `--context ${shellQuote(t.context)} `;
    doc.commentBefore = [
      ` Ends every session of the user whose DN is spec.dn (${USER_DN_LABEL}=${t.dnSha1}), in two steps:`,
      ` 1. stop kubectl token refreshes first:`,
      `    ${kubectlDeleteCommand(t)}`,
      ` 2. end web sessions: apply this document (kubectl ${ctx}apply -f -)`,
    ].join('\n');
  }
  const text = doc.toString({ doubleQuotedAsJSON: true, lineWidth: 0 });
  return escapeYamlBreaks(text);
}

/**
 * Outside the two double-quoted scalars (DN, alert id) the document holds fixed keys, checked
 * names and hex, and comments; the checked context carries none of these characters. So they
 * can only occur inside double-quoted scalars, where `\uXXXX` is their YAML escape.
 */
function escapeYamlBreaks(text: string): string {
  return text.replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
