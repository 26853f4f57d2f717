import type { Evaluation } from './evaluate.js';

/** The evaluation as text: per rule, per attack, and the verdict against issue 12's targets. */

const int = (n: number) => n.toLocaleString('en-US');
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? int(c) : c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

export function formatReport(e: Evaluation): string {
  const { corpus: c, replay, report: r } = e;
  const out: string[] = [];
  out.push(
    `week: ${c.users} people, ${c.days} days, seed ${c.seed}, density ${c.density}${c.ingress ? ', behind an ingress that hides the clients' : ''}: ${int(c.lines)} lines, ${int(c.userDays)} user-days ` +
      `(${c.dir}, ${c.reused ? 'reused' : 'generated'}; replica 1 runs ${c.replicaSkewMs.fromMs}-${c.replicaSkewMs.toMs} ms ahead)`,
  );
  out.push(`replay: ${replay.seconds} s, ${replay.skipped === null ? 'skipped lines unknown (summary not understood)' : `${int(replay.skipped)} lines skipped`}`);
  out.push('');
  const withIncidents = r.incidents !== null;
  const head = ['rule', 'alerts', 'attack', 'benign', 'benign/1000 user-days', ...(withIncidents ? ['incidents', 'benign', 'benign/1000 user-days'] : [])];
  const rows = r.rules.map((f) => [
    f.rule, f.alerts, f.attackAlerts, f.benignAlerts, f.benignAlertsPer1000.toFixed(1),
    ...(withIncidents ? [f.incidents ?? 0, f.benignIncidents ?? 0, (f.benignIncidentsPer1000 ?? 0).toFixed(1)] : []),
  ]);
  rows.push(['all rules', r.totals.alerts, r.totals.attackAlerts, r.totals.benignAlerts, r.totals.benignAlertsPer1000.toFixed(1), ...(withIncidents ? ['', '', ''] : [])]);
  out.push(table(head, rows));
  out.push('');
  out.push(`benign alerts by severity: ${Object.entries(r.benignBySeverity).map(([s, n]) => `${s} ${int(n)}`).join(', ') || 'none'}`);
  out.push(`benign alerts by day: ${r.benignByDay.map((n, i) => `${DAYS[i]} ${int(n)}`).join(', ')}`);
  out.push('benign alerts by the profile of the person named (- = alerts keyed on an address):');
  for (const [rule, byProfile] of Object.entries(r.benignByProfile).sort()) {
    out.push(`  ${rule}: ${Object.entries(byProfile).sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${int(n)}`).join(', ')}`);
  }
  out.push('benign alerts by cause (learning: the first address at a kind of place new for the person; churn: another address at a known kind of place; first: the person\'s first address):');
  for (const [rule, byCause] of Object.entries(r.benignByCause).sort()) {
    out.push(`  ${rule}: ${Object.entries(byCause).sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${int(n)}`).join(', ')}`);
  }
  out.push('benign alerts by the kind of address they name:');
  for (const [rule, byRole] of Object.entries(r.benignByAddress).sort()) {
    out.push(`  ${rule}: ${Object.entries(byRole).sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${int(n)}`).join(', ')}`);
  }
  out.push('');
  out.push(
    r.incidents === null
      ? 'incidents: not available (this ouwatch has no `incidents` command)'
      : `incidents: ${int(r.incidents.total)} (${int(r.incidents.attack)} with an attack, ${int(r.incidents.benign)} benign: ${r.incidents.benignPer1000.toFixed(1)} per 1000 user-days)`,
  );
  out.push('');
  out.push('attacks:');
  for (const a of r.attacks) {
    const inc = a.inIncident === null ? '' : a.inIncident ? `; in incident ${a.incidentIds.join(', ')}` : '; in NO incident';
    const caught = a.caught ? `caught by ${a.rules.join(', ')}` : `MISSED (expected today: ${a.expectedToday.join(', ') || 'none'}; v2: ${a.expectedV2.join(', ')})`;
    const missing = a.caught && a.missingExpectedToday.length ? ` (expected but not raised: ${a.missingExpectedToday.join(', ')})` : '';
    out.push(`  ${a.id.padEnd(4)} ${a.kind.padEnd(34)} ${caught}${missing}${inc}`);
  }
  out.push('');
  const v = r.verdict;
  const yes = (b: boolean | null) => (b === null ? 'n/a' : b ? 'yes' : 'NO');
  out.push(v.attacksJudged ? `verdict: ${v.met ? 'targets met' : 'targets NOT met'}` : `verdict: ${v.met ? 'benign target met' : 'benign target NOT met'} (attacks are not judged behind an ingress)`);
  if (v.attacksJudged) {
    out.push(`  every attack raises an alert: ${yes(v.everyAttackCaught)}`);
    out.push(`  every attack sits in an incident: ${yes(v.everyAttackInIncident)}`);
  }
  out.push(`  benign incidents per 1000 user-days <= ${v.target}: ${v.benignIncidentsPer1000 === null ? 'n/a' : `${yes(v.benignIncidentsPer1000 <= v.target)} (${v.benignIncidentsPer1000.toFixed(1)})`}`);
  for (const n of v.notes) out.push(`  ${n}`);
  return out.join('\n');
}
