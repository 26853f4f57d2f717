import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { distanceKm } from '../../src/core/geo-math.js';
import { ALICE, ANON, GB, H, MIN, PRIV, RU, SE, T0, US, az, detect, history, keys, rulesDir, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());
let n = 0;
const run = (rule: string, lines: string[], overrides = {}) => detect(s.path(`t${n++}.db`), rulesDir(s.path(`r${n}`), [rule], overrides), lines);

// Where geoip-lite places the test addresses.
const STOCKHOLM = [59.3247, 18.056] as const;
const MOSCOW = [55.7386, 37.6068] as const;
const km = distanceKm(STOCKHOLM[0], STOCKHOLM[1], MOSCOW[0], MOSCOW[1]);
/** The gap after which Stockholm -> Moscow is exactly `kmh`. */
const gapAt = (kmh: number) => (km / kmh) * H;

test('impossible-travel: Stockholm to Moscow a bit faster than 900 km/h fires, high, with both lines as evidence', async () => {
  const t2 = T0 + Math.floor(gapAt(901));
  const { alerts } = await run('impossible-travel', [az(T0, ALICE, SE), az(t2, ALICE, RU)]);
  assert.deepEqual(keys(alerts), [`impossible-travel ${ALICE} ${RU}`]);
  assert.equal(alerts[0].severity, 'high');
  assert.match(alerts[0].reason, /succeeded from 5\.255\.255\.5 \(RU\) 1\.4 h after a success from 89\.160\.20\.112 \(SE\) at 2026-03-02T08:00:00\.000Z: 1,228 km, 901 km\/h/);
  assert.deepEqual(alerts[0].evidence.map((e) => e.line), [az(T0, ALICE, SE), az(t2, ALICE, RU)]);
});

test('impossible-travel: one alert per trip between two countries a day, either way round; another country pair is another trip', async () => {
  // A copied session in Moscow beside its owner in Stockholm: there, back, there again (another Moscow address), then Seattle.
  const moscow2 = '5.255.255.77';
  const lines = [az(T0, ALICE, SE), az(T0 + MIN, ALICE, RU), az(T0 + 2 * MIN, ALICE, SE), az(T0 + 3 * MIN, ALICE, moscow2), az(T0 + 4 * MIN, ALICE, US)];
  const { alerts } = await run('impossible-travel', lines);
  assert.deepEqual(keys(alerts), [`impossible-travel ${ALICE} ${RU}`, `impossible-travel ${ALICE} ${US}`]);
  const trip = alerts.find((a) => a.ip === RU)!;
  assert.equal(trip.count, 3, 'there, back, and there again from another address');
  assert.deepEqual(trip.evidence.map((e) => e.line), lines.slice(0, 4), 'every leg\'s lines');
  assert.equal(alerts.find((a) => a.ip === US)!.count, 1, 'RU to US is another trip');
  // A day later the same trip is a new alert.
  const later = await run('impossible-travel', [...lines.slice(0, 2), az(T0 + 25 * H, ALICE, SE), az(T0 + 25 * H + MIN, ALICE, RU)]);
  assert.deepEqual(later.alerts.map((a) => [a.ip, a.count]), [[RU, 1], [RU, 1]]);
});

test('impossible-travel: the same trip a bit slower than 900 km/h stays quiet', async () => {
  const { alerts } = await run('impossible-travel', [az(T0, ALICE, SE), az(T0 + Math.ceil(gapAt(899)), ALICE, RU)]);
  assert.deepEqual(alerts, []);
});

test('impossible-travel: the distance floor is a threshold too (just under and just over the trip)', async () => {
  const lines = [az(T0, ALICE, SE), az(T0 + MIN, ALICE, RU)];
  const over = await run('impossible-travel', lines, { 'impossible-travel': { params: { minDistanceKm: Math.floor(km) } } });
  assert.equal(over.alerts.length, 1);
  const under = await run('impossible-travel', lines, { 'impossible-travel': { params: { minDistanceKm: Math.ceil(km) } } });
  assert.deepEqual(under.alerts, []);
});

test('impossible-travel: distances up to 500 km never count, even at the same moment', async () => {
  // St Albans to Plymouth is about 270 km.
  const { alerts } = await run('impossible-travel', [az(T0, ALICE, GB), az(T0, ALICE, '2.125.160.216')]);
  assert.deepEqual(alerts, []);
});

test('impossible-travel: events without a location are skipped, the previous located one is the reference', async () => {
  const { alerts } = await run('impossible-travel', [az(T0, ALICE, SE), az(T0 + MIN, ALICE, PRIV), az(T0 + 20 * MIN, ALICE, US)]);
  assert.deepEqual(keys(alerts), [`impossible-travel ${ALICE} ${US}`]);
  assert.match(alerts[0].reason, /after a success from 89\.160\.20\.112 \(SE\) at 2026-03-02T08:00:00\.000Z/);
});

test('impossible-travel: the anonymous DN is not a user', async () => {
  const { alerts } = await run('impossible-travel', [az(T0, ANON, SE), az(T0 + MIN, ANON, US)]);
  assert.deepEqual(alerts, []);
});

test('impossible-travel: ipExceptions leave a VPN egress out', async () => {
  const { alerts } = await run('impossible-travel', [az(T0, ALICE, SE), az(T0 + MIN, ALICE, US)], { 'impossible-travel': { ipExceptions: ['216.160.83.0/24'] } });
  assert.deepEqual(alerts, []);
});

test('impossible-travel: back and forth between two places the user already has is not travel (ignoreFamiliar); one new end is, and so is the same with ignoreFamiliar: false', async () => {
  // Stockholm in the morning, near Seattle 12 h later (plausible): both learnt. Then minutes apart.
  const both = [...history(ALICE, SE), ...history(ALICE, US, 3, 10 * MIN, T0 + 12 * H)];
  const back = [az(T0 + 13 * H, ALICE, SE), az(T0 + 13 * H + 5 * MIN, ALICE, US)];
  assert.deepEqual((await run('impossible-travel', [...both, ...back])).alerts, []);
  const strict = await run('impossible-travel', [...both, ...back], { 'impossible-travel': { params: { ignoreFamiliar: false } } });
  // One trip there and back: one alert, counted twice.
  assert.deepEqual(keys(strict.alerts), [`impossible-travel ${ALICE} ${SE}`]);
  assert.equal(strict.alerts[0].count, 2);
  // Moscow is not hers: from Stockholm to Moscow minutes later is travel.
  const moscow = await run('impossible-travel', [...both, az(T0 + 13 * H, ALICE, SE), az(T0 + 13 * H + 5 * MIN, ALICE, RU)]);
  assert.deepEqual(keys(moscow.alerts), [`impossible-travel ${ALICE} ${RU}`]);
});

test('ip-not-allowed: off while the allowlist is empty', async () => {
  const { alerts } = await run('ip-not-allowed', [...history(ALICE, SE, 3), az(T0 + H, ALICE, RU)]);
  assert.deepEqual(alerts, []);
});

test('ip-not-allowed: a success from outside the allowlist fires; inside (also IPv4-mapped IPv6) stays quiet', async () => {
  const lines = [az(T0, ALICE, SE), az(T0 + 1, ALICE, '::ffff:89.160.20.9'), az(T0 + 2, ALICE, PRIV), az(T0 + 3, ANON, RU), az(T0 + 4, ALICE, RU)];
  const { alerts } = await run('ip-not-allowed', lines, { 'ip-not-allowed': { params: { allow: ['89.160.20.0/24', '10.0.0.0/8'] } } });
  assert.deepEqual(keys(alerts), [`ip-not-allowed ${ALICE} ${RU}`]);
  assert.match(alerts[0].reason, /outside the allowed networks \(89\.160\.20\.0\/24, 10\.0\.0\.0\/8\)/);
});
