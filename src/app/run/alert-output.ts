import type { StoredAlert } from '../../core/alerts.js';
import { toAlertJson } from '../../core/alerts.js';
import { printable, quote } from '../../core/terminal-text.js';

/**
 * Alerts on stdout, once committed: with `--json` one NDJSON object per alert (the alert
 * contract), otherwise one readable line. DNs and reasons are attacker-influenced: they go
 * through the terminal sanitizer so a log line cannot drive or reorder the terminal.
 */
export function formatAlerts(alerts: StoredAlert[], json: boolean): string {
  let out = '';
  for (const a of alerts) {
    if (json) out += JSON.stringify(toAlertJson(a)) + '\n';
    else {
      const where = [a.dn === null ? null : `dn=${quote(a.dn)}`, a.ip === null ? null : `ip=${a.ip}`, a.country].filter((x) => x !== null).join(' ');
      out += `${a.time}  ${a.severity.toUpperCase().padEnd(8)} ${a.rule}  ${printable(where)}  ${printable(a.reason)}\n`;
    }
  }
  return out;
}
