// `npm run rules:generate`: writes the scaler's alert rules, built from its rule catalogue, to the Helm
// chart (deploy/helm/otel-gateway-scaler/files/prometheus-rules.yaml), which renders them as a
// PrometheusRule. A test fails when the file and the catalogue differ; `--check` says the same in CI.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CommandIo, type CommandSpec, type OptionValues, processIo, RunFailure, runCommand, writeFlagFile } from '../src/cli/command-line.ts';
import { PROMETHEUS_RULES_FILE, prometheusRulesYaml } from '../src/alerts/prometheus-rules-file.ts';

export const RULES_COMMAND: CommandSpec = {
  name: 'rules:generate',
  usage: ['npm run rules:generate -- [--out FILE] [--check]'],
  summary: "Writes the alert rules of the rule catalogue (src/alerts/rules/) as the Prometheus rule file the Helm\nchart renders into its PrometheusRule.",
  options: {
    out: { value: 'FILE', description: `the rule file to write (default ${PROMETHEUS_RULES_FILE})` },
    check: { description: 'write nothing; exit 1 when the file differs from the catalogue (for CI)' },
  },
  footer: 'Exit codes: 0 written (or, with --check, up to date); 1 the file cannot be written, or differs\nwith --check; 2 bad command line.',
};

const DEFAULT_OUT = fileURLToPath(new URL(`../${PROMETHEUS_RULES_FILE}`, import.meta.url));

/** Writes (or with --check compares) the rule file; returns the exit code. */
export function generateRules(values: OptionValues, io: CommandIo): number {
  const out = typeof values.out === 'string' ? values.out : DEFAULT_OUT;
  const shown = typeof values.out === 'string' ? values.out : PROMETHEUS_RULES_FILE;
  const rules = prometheusRulesYaml();
  if (values.check === true) {
    let current: string | undefined;
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== rules) throw new RunFailure(`${shown} ${current === undefined ? 'is missing' : 'differs from the rule catalogue'}; run \`npm run rules:generate\``);
    io.out(`${shown} is up to date\n`);
    return 0;
  }
  writeFlagFile('--out', out, rules);
  io.out(`wrote ${shown}\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io = processIo();
  process.exitCode = await runCommand(RULES_COMMAND, process.argv.slice(2), io, (values) => generateRules(values, io));
}
