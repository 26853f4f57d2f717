import { AUTH_URL, HOST, type WeekLog } from './log.js';
import type { Isp, IspKey } from './networks.js';
import { SERVICE_ACCOUNTS } from './people.js';
import { Rng } from './random.js';
import { DAY, HOUR, MINUTE } from './whereabouts.js';

/**
 * Everything around the people: service accounts calling from pod addresses, the internet's
 * scanners and password guessers at their usual low rate, configuration polling, MyVD's
 * directory lookups, upstream errors with their stack traces, and the odd EndSession.
 */

const INTERNET: IspKey[] = ['chinanet-cn', 'rostelecom-ru', 'digitalocean-us', 'ovh-fr', 'comcast-us', 'turktelekom-tr', 'vnpt-vn'];
const SCANS_PER_HOUR = 4;
const GUESSERS_PER_HOUR = 1;
const ERRORS_PER_DAY = 3;
const SCAN_PATHS = ['favicon.ico', 'robots.txt', '.env', 'wp-login.php', '.git/config', 'api/v1/version', 'actuator/health', 'server-status'];
const SA_URLS = ['payments', 'orders', 'platform', 'monitoring', 'default'].flatMap((ns) => [
  `${HOST}/apis/apps/v1/namespaces/${ns}/deployments`,
  `${HOST}/api/v1/namespaces/${ns}/services`,
  `${HOST}/api/v1/namespaces/${ns}/secrets`,
  `${HOST}/api/v1/namespaces/${ns}/configmaps`,
]);
/** People who left the company: an administrator ends what is left of their sessions. */
const DEPARTED = ['uid=former.admin,ou=shadow,o=Tremolo', 'uid=tim.leaver,ou=shadow,o=Tremolo'];

export function backgroundDay(log: WeekLog, seed: number, start: number, d: number, nets: Record<IspKey, Isp>): void {
  const rng = Rng.of(seed, `background-${d}`);
  const day0 = start + d * DAY;
  const internet = () => nets[rng.pick(INTERNET)].addr4(rng, 'internet');

  for (const sa of SERVICE_ACCOUNTS) {
    // Pods are rescheduled now and then: a new pod address every day.
    const podIp = `10.42.${rng.int(0, 3)}.${rng.int(2, 250)}`;
    for (let t = day0 + rng.int(0, sa.everyMin * MINUTE); t < day0 + DAY; t += sa.everyMin * MINUTE + rng.int(-20_000, 20_000)) {
      log.access(t, log.worker(rng), 'AzSuccess', 'k8s-api', rng.pick(SA_URLS), sa.dn, 'k8s-service-accounts', podIp, 'null');
    }
  }
  for (let i = rng.int(SCANS_PER_HOUR * 20, SCANS_PER_HOUR * 28); i > 0; i--) {
    const ip = internet();
    let t = day0 + rng.int(0, DAY - MINUTE);
    for (let k = rng.int(1, 4); k > 0; k--, t += rng.int(200, 3_000)) {
      log.access(t, log.worker(rng), 'NotFound', 'UNKNOWN', `${HOST}/${rng.pick(SCAN_PATHS)}`, 'uid=Anonymous,o=Tremolo', 'Resource Not Found', ip, 'null');
    }
  }
  for (let i = rng.int(GUESSERS_PER_HOUR * 18, GUESSERS_PER_HOUR * 30); i > 0; i--) {
    const ip = internet();
    let t = day0 + rng.int(0, DAY - MINUTE);
    for (let k = rng.int(1, 3); k > 0; k--, t += rng.int(2_000, 20_000)) {
      log.access(t, log.worker(rng), 'AuFail', 'k8sIdp', AUTH_URL, 'cn=none', 'oauth2k8s', ip, rng.sessionId());
    }
  }
  for (const replica of [0, 1] as const) {
    for (let t = day0; t < day0 + DAY; t += 5 * MINUTE) {
      log.other(t + rng.int(0, 999), { replica, thread: `XNIO-1 task-${rng.int(1, 32)}` }, 'INFO', 'ConfigSys', `Checking for updates to ${rng.pick(['jobs', 'trusts', 'authmechs', 'queues'])}`);
    }
    for (let t = day0 + rng.int(0, 180_000); t < day0 + DAY; t += rng.int(60_000, 300_000)) {
      const w = { replica, thread: `XNIO-1 task-${rng.int(1, 32)}` };
      const op = rng.int(10, 9_999);
      log.other(t, w, 'INFO', 'AccessLog', `SRCH op=${op} con=${op - 1} base='ou=groups,o=Tremolo' filter='(objectClass=groupOfUniqueNames)' attrs='[cn, uniqueMember]'`);
      log.other(t + rng.int(1, 40), w, 'INFO', 'AccessLog', `RESULT op=${op} con=${op - 1} result=0 time=${rng.int(1, 30)}`);
    }
  }
  for (let i = 0; i < ERRORS_PER_DAY; i++) {
    const t = day0 + rng.int(6 * HOUR, 20 * HOUR);
    log.other(t, log.worker(rng), 'ERROR', 'OpenIDConnectAuthMech', 'Could not retrieve token : 400 / Bad Request', [
      'java.io.IOException: Bad Request',
      '\tat com.tremolosecurity.proxy.auth.OpenIDConnectAuthMech.doGet(OpenIDConnectAuthMech.java:271)',
      '\tat io.undertow.servlet.handlers.ServletHandler.handleRequest(ServletHandler.java:74)',
      'Caused by: java.net.SocketTimeoutException: Read timed out',
      '\tat java.base/java.net.SocketInputStream.socketRead0(Native Method)',
      '\t... 42 more',
    ]);
  }
  if (d === 1 || d === 3) log.logout(day0 + rng.int(9 * HOUR, 15 * HOUR), log.worker(rng), DEPARTED[d === 1 ? 0 : 1]);
}
