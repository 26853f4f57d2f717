import type { Command } from 'commander';
import { rulesDirOf } from '../app/runtime.js';
import { loadConfig } from '../app/config.js';
import { checkRules } from '../components/detect/rules.js';
import { defaultFixturesDir, runRuleTests } from '../app/rule-tests.js';
import { EXIT_USAGE, colours } from './common.js';
import { printable } from './alert-format.js';

interface RulesFlags {
  config?: string;
  fixtures?: string;
  json?: boolean;
}

/** The rules directory: the argument, else the config's, else the bundled rules. */
function dirOf(dir: string | undefined, flags: RulesFlags): string {
  return dir ?? rulesDirOf(loadConfig(flags.config));
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('validate the detection rules and run them against their fixtures');

  rules
    .command('check')
    .description('validate every rule file (exit 2 if any is invalid)')
    .argument('[dir]', 'rules directory (default: the configured or shipped rules)')
    .option('--config <file>', 'configuration file (YAML) naming the rules directory')
    .action((dir: string | undefined, flags: RulesFlags) => {
      const rulesDir = dirOf(dir, flags);
      const c = colours(process.stdout);
      const { rules: ok, errors } = checkRules(rulesDir);
      for (const r of ok) {
        const state = !r.enabled ? c.dim(' (disabled)') : r.inactive ? c.yellow(` (off: ${r.inactive})`) : '';
        process.stdout.write(
          `${c.green('ok')}     ${r.id.padEnd(26)} ${r.severity.padEnd(8)} ${r.detector.describe(r.params)}; events ${r.events.join(', ')}` +
            `${r.respond ? '; may trigger a response' : ''}${state}\n`,
        );
      }
      for (const e of errors) process.stdout.write(`${c.red('error')}  ${printable(e.message)}\n`);
      process.stderr.write(`${ok.length} valid, ${errors.length} invalid rule file${errors.length === 1 ? '' : 's'} in ${rulesDir}\n`);
      if (errors.length > 0) process.exitCode = EXIT_USAGE;
    });

  rules
    .command('test')
    .description('run every rule against its fixtures (fixtures/rules/<id>/*.log with *.expect.yaml); exit 1 on a failure')
    .argument('[dir]', 'rules directory (default: the configured or shipped rules)')
    .option('--fixtures <dir>', 'fixtures directory (default: fixtures/rules beside the rules directory)')
    .option('--config <file>', 'configuration file (YAML) naming the rules directory')
    .option('--json', 'one JSON object per case')
    .action(async (dir: string | undefined, flags: RulesFlags) => {
      const rulesDir = dirOf(dir, flags);
      const fixtures = flags.fixtures ?? defaultFixturesDir(rulesDir);
      const report = await runRuleTests(rulesDir, fixtures);
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
      process.stderr.write(`${passed} passed, ${failed} failed\n`);
      if (failed > 0) process.exitCode = 1;
    });
}
