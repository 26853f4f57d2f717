import type { StoredAlert } from '../../core/alerts.js';
import { toAlertJson } from '../../core/alerts.js';

/**
 * Alerts on stdout, once committed: with `--json` one NDJSON object per alert (the DESIGN.md
 * Alert shape), otherwise one readable line. DNs and reasons are attacker-influenced: control
 * characters are escaped so a log line cannot drive the terminal.
 */
export function formatAlerts(alerts: StoredAlert[], json: boolean): string {
  let out = '';
  for (const a of alerts) {
    if (json) out += JSON.stringify(toAlertJson(a)) + '\n';
    else {
      const where = [a.dn === null ? null : `dn=${JSON.stringify(a.dn)}`, a.ip === null ? null : `ip=${a.ip}`, a.country].filter((x) => x !== null).join(' ');
      out += `${a.time}  ${a.severity.toUpperCase().padEnd(8)} ${a.rule}  ${escapeControls(where)}  ${escapeControls(a.reason)}\n`;
    }
  }
  return out;
}

function escapeControls(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
