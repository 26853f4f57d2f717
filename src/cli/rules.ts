import type { Command } from 'commander';
import { overlayDirOf, rulesDirOf } from '../app/rule-dirs.js';
import { loadConfig } from '../app/config.js';
import { checkRules } from '../app/rule-tests.js';
import { defaultFixturesDir, runRuleTests } from '../app/rule-tests.js';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EXIT_USAGE, Out, RULE_WIDTH, colours, fmtInt } from './common.js';
import { printable } from './alert-format.js';
import { ruleTable, type RuleRow } from '../app/review/rules.js';
import { openReviewStore, storeExists } from '../app/review/store.js';
import { configOf, outputOptions, storeOptions, type StoreFlags } from './options.js';
import { toCsv } from './csv.js';

interface RulesFlags {
  config?: string;
  fixtures?: string;
  json?: boolean;
}

/**
 * The rules directory (the argument, else the config's, else the bundled rules) and its
 * overlays: `rules.d` beside the directory, or the config's `detect.overlayDir`.
 */
function dirsOf(dir: string | undefined, flags: RulesFlags): { rulesDir: string; overlayDir: string | null } {
  if (dir !== undefined) return { rulesDir: dir, overlayDir: join(dirname(resolve(dir)), 'rules.d') };
  const config = loadConfig(flags.config);
  return { rulesDir: rulesDirOf(config), overlayDir: overlayDirOf(config) };
}

/** ", with the overlays of DIR" when that directory exists. */
function overlayNote(overlayDir: string | null): string {
  return overlayDir !== null && existsSync(overlayDir) ? `, with the overlays of ${overlayDir}` : '';
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('validate the detection rules and run them against their fixtures');

  outputOptions(
    storeOptions(rules.command('list', { isDefault: true }).description('every rule: on or off, severity, and its alerts in the last 24 h and 7 d')),
    true,
  ).action(async (flags: StoreFlags & { json?: boolean; csv?: boolean }) => {
    const config = configOf(flags);
    // The rules exist without a database: then they are listed without their counts.
    const store = storeExists(config, existsSync) ? openReviewStore(config) : null;
    try {
      const table = await ruleTable(config, store, Date.now());
      const out = new Out();
      if (flags.json) for (const r of table.rules) out.line(JSON.stringify(r));
      else if (flags.csv) process.stdout.write(toCsv(table.rules, RULE_CSV));
      else for (const l of formatRules(table.rules, store !== null)) out.line(l);
      await out.flush();
      for (const e of table.invalid) process.stderr.write(`ouwatch: warning: invalid rule file: ${printable(e)} (ouwatch rules check)\n`);
    } finally {
      store?.close();
    }
  });

  rules
    .command('check')
    .description('validate every rule file (exit 2 if any is invalid)')
    .argument('[dir]', 'rules directory (default: the configured or shipped rules)')
    .option('--config <file>', 'configuration file (YAML) naming the rules directory')
    .option('--json', 'one JSON object per rule file: {file, id, valid, problem}')
    .action((dir: string | undefined, flags: RulesFlags) => {
      const { rulesDir, overlayDir } = dirsOf(dir, flags);
      const c = colours(process.stdout);
      const { rules: ok, errors } = checkRules(rulesDir, overlayDir);
      if (flags.json) {
        for (const r of ok) process.stdout.write(JSON.stringify({ file: r.file, id: r.id, valid: true, problem: null, enabled: r.enabled, inactive: r.inactive }) + '\n');
        for (const e of errors) process.stdout.write(JSON.stringify({ file: null, id: null, valid: false, problem: e.message, enabled: null, inactive: null }) + '\n');
        if (errors.length > 0) process.exitCode = EXIT_USAGE;
        return;
      }
      for (const r of ok) {
        const state = !r.enabled ? c.dim(' (disabled)') : r.inactive ? c.yellow(` (off: ${r.inactive})`) : '';
        process.stdout.write(
          `${c.green('ok')}     ${r.id.padEnd(RULE_WIDTH)} ${r.severity.padEnd(8)} ${r.detector.describe(r.params)}; events ${r.events.join(', ')}` +
            `${r.respond ? '; may trigger a response' : ''}${state}\n`,
        );
      }
      for (const e of errors) process.stdout.write(`${c.red('error')}  ${printable(e.message)}\n`);
      process.stderr.write(`${ok.length} valid, ${errors.length} invalid rule file${errors.length === 1 ? '' : 's'} in ${rulesDir}${overlayNote(overlayDir)}\n`);
      if (errors.length > 0) process.exitCode = EXIT_USAGE;
    });

  rules
    .command('test')
    .description('run every rule, with its rules.d overlays, against its fixtures (fixtures/rules/<id>/*.log with *.expect.yaml; rules.d/fixtures/<id>/ for a rule an overlay adds); exit 1 on a failure')
    .argument('[dir]', 'rules directory (default: the configured or shipped rules)')
    .option('--fixtures <dir>', 'fixtures directory (default: fixtures/rules beside the rules directory)')
    .option('--config <file>', 'configuration file (YAML) naming the rules directory')
    .option('--json', 'one JSON object per case')
    .action(async (dir: string | undefined, flags: RulesFlags) => {
      const { rulesDir, overlayDir } = dirsOf(dir, flags);
      const fixtures = flags.fixtures ?? defaultFixturesDir(rulesDir);
      const report = await runRuleTests(rulesDir, fixtures, overlayDir);
      const c = colours(process.stdout);
      for (const r of report.cases) {
        if (flags.json) {
          process.stdout.write(JSON.stringify({ rule: r.rule, case: r.name, passed: r.passed, problems: r.problems, alerts: r.alerts.length }) + '\n');
          continue;
        }
        const mark = r.passed ? c.green('PASS') : c.red('FAIL');
        process.stdout.write(`${mark}  ${r.rule}/${r.name}: ${r.description} (${r.alerts.length} alert${r.alerts.length === 1 ? '' : 's'})\n`);
        for (const p of r.problems) process.stdout.write(`        ${printable(p)}\n`);
      }
      for (const m of report.missing) {
        if (flags.json) process.stdout.write(JSON.stringify({ rule: m.rule, case: null, passed: false, problems: [m.problem], alerts: 0 }) + '\n');
        else process.stdout.write(`${c.red('FAIL')}  ${m.rule}: ${m.problem}\n`);
      }
      const failed = report.cases.filter((r) => !r.passed).length + report.missing.length;
      const passed = report.cases.length - report.cases.filter((r) => !r.passed).length;
      process.stderr.write(`${passed} passed, ${failed} failed${overlayNote(overlayDir)}\n`);
      if (failed > 0) process.exitCode = 1;
    });
}

const RULE_CSV: Array<[string, (r: RuleRow) => string | number | boolean | null]> = [
  ['id', (r) => r.id],
  ['enabled', (r) => r.enabled],
  ['inactive', (r) => r.inactive],
  ['severity', (r) => r.severity],
  ['detector', (r) => r.detector],
  ['params', (r) => r.params],
  ['respond', (r) => r.respond],
  ['alerts24h', (r) => r.alerts24h],
  ['alerts7d', (r) => r.alerts7d],
  ['alertsTotal', (r) => r.alertsTotal],
  ['latest', (r) => r.latest],
  ['description', (r) => r.description],
];

function formatRules(rows: RuleRow[], counted: boolean): string[] {
  const c = colours(process.stdout);
  const lines = [c.dim(`${'rule'.padEnd(RULE_WIDTH)} ${'state'.padEnd(5)} ${'severity'.padEnd(8)} ${'24 h'.padStart(7)} ${'7 d'.padStart(7)} ${'all'.padStart(9)}  parameters`)];
  for (const r of rows) {
    const state = !r.enabled ? c.dim('off  ') : r.inactive ? c.yellow('idle ') : c.green('on   ');
    const n = (v: number) => (counted ? fmtInt(v) : '-');
    lines.push(`${r.id.padEnd(RULE_WIDTH)} ${state} ${r.severity.padEnd(8)} ${n(r.alerts24h).padStart(7)} ${n(r.alerts7d).padStart(7)} ${n(r.alertsTotal).padStart(9)}  ${printable(r.params)}${r.inactive ? c.yellow(` (${printable(r.inactive)})`) : ''}`);
  }
  return lines;
}
