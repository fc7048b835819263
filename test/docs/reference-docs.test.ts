// The reference in docs/ kept in step with the code it describes: each table or example below is read
// from the doc and compared with what the code defines, so a signal, rule, metric, flag, chart value or
// default added or changed in one place and not the other fails here. (Configuration, trigger metadata,
// how it decides, errors, the benchmark, the collector tier and the runbook have their own doc-sync tests.)
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ALERT_RULES } from '../../src/alerts/rules/rule-catalogue.ts';
import { refitStepSeconds } from '../../src/advisor/forecast-refresher.ts';
import { MAIN_COMMAND } from '../../src/cli/args.ts';
import type { CommandSpec } from '../../src/cli/command-line.ts';
import { BENCH_COMMAND } from '../../src/sim/bench-cli.ts';
import { MATRIX_COMMAND } from '../../src/sim/bench-matrix-cli.ts';
import { SPEED_COMMAND } from '../../src/sim/bench-speed.ts';
import { BACKTEST_COMMAND } from '../../forecasting/backtest-cli.ts';
import { BENCH_GRPC_COMMAND } from '../bench/bench-grpc.ts';
import { BENCH_MEMORY_COMMAND } from '../bench/bench-memory.ts';
import { CALIBRATE_COMMAND } from '../collector/calibrate.ts';
import { RULES_COMMAND } from '../../scripts/generate-rules.ts';
import { BUILD_COMMAND } from '../../scripts/build.ts';
import { formatDuration } from '../../src/config/duration.ts';
import { parseServerConfig } from '../../src/config/server-config.ts';
import { createSelfMetrics } from '../../src/dashboard/self-metrics.ts';
import { ERROR_CATALOGUE } from '../../src/errors.ts';
import { buildSignalQueries, type CatalogueInput } from '../../src/signals/promql-catalogue.ts';
import { docFile, docSection } from '../support/docs.ts';

/** The rows of the first Markdown table in a text, as trimmed cells (header and rule lines dropped). */
function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const table = lines.slice(start, lines.findIndex((line, index) => index > start && !line.startsWith('|')));
  return table.slice(2).map((line) =>
    line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim()),
  );
}

/** The `code` spans of a cell, in order. */
const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty'];

describe('docs/signals.md', () => {
  // The example the doc prints its PromQL for.
  const input = { gatewaySelector: 'job="otel-gateway"', agentSelector: 'job="otel-agent"', rateWindowSeconds: 120, deployment: { namespace: 'observability', name: 'otel-gateway' } } as CatalogueInput;
  const queries = buildSignalQueries(input);
  const intro = docSection('docs/signals.md', 'Signals read from Prometheus').split('\n## ')[0]!;
  const catalogue = docSection('docs/signals.md', 'Signal catalogue');

  it('says how many instant queries a read runs', () => {
    expect(intro).toContain(`runs ${NUMBER_WORDS[Object.keys(queries).length]} instant queries`);
  });

  it('has a table row for every query of the catalogue, and none for a query that is gone', () => {
    const documented = tableRows(catalogue).flatMap((row) => codeSpans(row[0]!));
    expect([...documented].sort()).toEqual(Object.keys(queries).sort());
  });

  it('prints the exact PromQL the catalogue builds for job="otel-gateway" and rateWindow 2m', () => {
    const block = /```promql\n([\s\S]*?)```/.exec(catalogue)?.[1] ?? '';
    const lines = block.trimEnd().split('\n');
    const printed = lines.flatMap((line, index) => (line.startsWith('# ') ? [{ name: /^# (\w+)/.exec(line)![1]!, promql: lines[index + 1]! }] : []));
    expect(printed.length).toBeGreaterThanOrEqual(8);
    for (const { name, promql } of printed) {
      const query = queries[name as keyof typeof queries];
      expect(query, `docs/signals.md prints a query named ${name}`).toBeDefined();
      expect(promql, name).toBe(query?.promql);
    }
  });

  it('its error example counts the queries a read runs', () => {
    const counts = [...docSection('docs/signals.md', 'Caching, single flight and timeouts').matchAll(/\((\d+) of (\d+) queries failed\)/g)];
    expect(counts.length).toBeGreaterThan(0);
    for (const match of counts) expect(Number(match[2])).toBe(Object.keys(queries).length);
  });
});

describe('docs/alerts.md', () => {
  const rows = tableRows(docSection('docs/alerts.md', 'Rules'));

  it('has one row per rule of the catalogue, in the order messages show them', () => {
    expect(rows.map((row) => codeSpans(row[0]!)[0])).toEqual(Object.keys(ALERT_RULES));
  });

  for (const [name, rule] of Object.entries(ALERT_RULES)) {
    it(`${name}: severity, default \`for\` and threshold default as the rule defines them`, () => {
      const [, severity, forText, threshold] = rows.find((row) => codeSpans(row[0]!)[0] === name)!;
      expect(severity!.split(' / ')[0]).toBe(rule.severity);
      expect(forText).toBe(formatDuration(rule.defaultForSeconds) === '0ms' ? '0s' : formatDuration(rule.defaultForSeconds));
      if (rule.threshold === undefined) expect(threshold).toBe('—');
      else if (rule.threshold.defaultValue === undefined) expect(threshold).toMatch(/\(the target's `\w+`\)$/);
      else expect(threshold).toMatch(new RegExp(`\\(${rule.threshold.defaultValue}\\)$`));
    });
  }
});

describe('docs/dashboard.md', () => {
  it('the self-metrics table lists every metric the registry defines beside Node’s defaults, with its labels', () => {
    const own = createSelfMetrics()
      .registry.getMetricsAsArray()
      .map((metric) => metric as unknown as { name: string; labelNames?: readonly string[] })
      .filter((metric) => !/^otel_gateway_scaler_(process|nodejs)_/.test(metric.name));
    const rows = tableRows(docSection('docs/dashboard.md', 'Self-metrics (`/metrics`)'));
    const documented = new Map(rows.flatMap((row) => codeSpans(row[0]!).map((name) => [name, row[1]!] as const)));
    expect([...documented.keys()].sort()).toEqual(own.map((metric) => metric.name).sort());
    for (const metric of own) {
      const labels = documented.get(metric.name)!;
      expect(labels === '—' ? [] : labels.split(', '), metric.name).toEqual(metric.labelNames ?? []);
    }
  });

  it('the JSON API error table gives each code the HTTP status of the error catalogue', () => {
    const rows = tableRows(docSection('docs/dashboard.md', 'JSON API').split('\n| situation |')[1]!.replace(/^/, '| situation |'));
    expect(rows.length).toBeGreaterThan(5);
    for (const [, status, code] of rows) {
      const name = codeSpans(code!)[0]! as keyof typeof ERROR_CATALOGUE;
      expect(ERROR_CATALOGUE[name], `${name} is in src/errors.ts`).toBeDefined();
      expect(Number(status), name).toBe(ERROR_CATALOGUE[name].httpStatus);
    }
  });
});

describe('docs/running.md', () => {
  it('the flag table has a row for every option of the scaler, with its environment variable', () => {
    const rows = tableRows(docSection('docs/running.md', 'Running'));
    const flags = rows.map((row) => codeSpans(row[0]!).map((span) => span.split(' ')[0]!).find((flag) => flag.startsWith('--'))!);
    expect(flags.sort()).toEqual([...Object.keys(MAIN_COMMAND.options), 'help', 'version'].map((flag) => `--${flag}`).sort());
    for (const [flag, option] of Object.entries(MAIN_COMMAND.options)) {
      const row = rows.find((candidate) => candidate[0]!.includes(`\`--${flag}`))!;
      const variable = /\(env (\w+)/.exec(option.description)?.[1];
      expect(row[1], `--${flag}`).toBe(variable === undefined ? '—' : `\`${variable}\``);
    }
  });
});

describe('docs/install.md', () => {
  it("the chart's values table names every top-level value of values.yaml", () => {
    const values = parseYaml(readFileSync(new URL('../../deploy/helm/otel-gateway-scaler/values.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
    const rows = tableRows(docSection('docs/install.md', 'Helm chart (`deploy/helm/otel-gateway-scaler`)'));
    const documented = new Set(rows.flatMap((row) => codeSpans(row[0]!)).map((key) => key.split(/[.<]/)[0]!));
    expect(Object.keys(values).filter((key) => !documented.has(key))).toEqual([]);
    expect([...documented].filter((key) => !(key in values))).toEqual([]);
  });
});

describe('docs/forecasting.md', () => {
  const text = docSection('docs/forecasting.md', 'In the scaler');

  it('states the refit schedule the server config defaults to', () => {
    const schedule = parseServerConfig({}).forecast.refitSchedule;
    expect(text).toContain(`\`forecast.refitSchedule\` (node-cron, default \`${schedule}\``);
  });

  it('the refit steps it gives for 14, 28 and 90 days of history are the ones the refresher uses', () => {
    const examples = [...text.matchAll(/(\d+) d → (\d+) s/g)];
    expect(examples.map((match) => match[1])).toEqual(['14', '28', '90']);
    for (const [, days, step] of examples) expect(refitStepSeconds(Number(days) * 86_400), `${days} d`).toBe(Number(step));
  });
});

describe('every option of every command-line tool is described in the document its npm script links to', () => {
  const TOOL_DOCS: readonly { readonly spec: CommandSpec; readonly doc: string }[] = [
    { spec: BENCH_COMMAND, doc: 'docs/benchmark.md' },
    { spec: MATRIX_COMMAND, doc: 'docs/benchmark.md' },
    { spec: SPEED_COMMAND, doc: 'docs/benchmark.md' },
    { spec: BACKTEST_COMMAND, doc: 'forecasting/README.md' },
    { spec: BENCH_GRPC_COMMAND, doc: 'docs/running.md' },
    { spec: BENCH_MEMORY_COMMAND, doc: 'docs/running.md' },
    { spec: CALIBRATE_COMMAND, doc: 'docs/collector-tier.md' },
    { spec: RULES_COMMAND, doc: 'docs/alerts.md' },
    { spec: BUILD_COMMAND, doc: 'docs/install.md' },
  ];
  for (const { spec, doc } of TOOL_DOCS) {
    it(`${spec.name}: ${doc}`, () => {
      const text = docFile(doc);
      expect(Object.keys(spec.options).filter((flag) => !new RegExp(`--${flag}\\b`).test(text))).toEqual([]);
    });
  }
});
