import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseServerConfig, serverConfigSchema } from '../../src/config/server-config.ts';
import { docSection } from '../support/docs.ts';


interface SchemaNode {
  _zod: { def: { type: string; innerType?: SchemaNode; shape?: Record<string, SchemaNode>; valueType?: SchemaNode; in?: SchemaNode } };
}

/** Dotted paths of every config field: objects are walked, records become `<name>`, arrays and scalars are leaves. */
function fieldPaths(node: SchemaNode, prefix: string, placeholder: (path: string) => string): string[] {
  const def = node._zod.def;
  if (def.innerType) return fieldPaths(def.innerType, prefix, placeholder);
  if (def.type === 'pipe' && def.in) return fieldPaths(def.in, prefix, placeholder);
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([key, child]) => fieldPaths(child, prefix ? `${prefix}.${key}` : key, placeholder));
  }
  if (def.type === 'record' && def.valueType && def.valueType._zod.def.type === 'object') {
    const entry = `${prefix}.${placeholder(prefix)}`;
    return [entry, ...fieldPaths(def.valueType, entry, placeholder)];
  }
  return [prefix];
}

describe('docs/configuration.md', () => {
  const text = docSection('docs/configuration.md', 'Configuration');

  it('documents every field of the server config schema', () => {
    const placeholders: Record<string, string> = { prometheus: '<name>', 'alerts.rules': '<rule>' };
    const paths = fieldPaths(serverConfigSchema as unknown as SchemaNode, '', (path) => placeholders[path] ?? '<key>');
    expect(paths.length).toBeGreaterThan(20);
    const undocumented = paths.filter((path) => !text.includes(`| \`${path}\``));
    expect(undocumented).toEqual([]);
  });

  it('its example is a valid server config', () => {
    const example = /## Example\n+```yaml\n([\s\S]*?)```/.exec(docSection('docs/configuration.md', 'Example'))?.[1];
    expect(example).toBeDefined();
    expect(() => parseServerConfig(parseYaml(example!), 'docs/configuration.md example')).not.toThrow();
  });

  it('states the default the schema applies for each scalar field', () => {
    const defaults = parseServerConfig({});
    const rows: { name: string; input: string; want: unknown }[] = [
      { name: 'gRPC port', input: 'grpc.port', want: defaults.grpc.port },
      { name: 'HTTP port', input: 'http.port', want: defaults.http.port },
      { name: 'gRPC host', input: 'grpc.host', want: defaults.grpc.host },
      { name: 'history length', input: 'advisor.historyLength', want: defaults.advisor.historyLength },
      { name: 'forget after', input: 'advisor.forgetAfter', want: defaults.advisor.forgetAfter },
      { name: 'max targets', input: 'advisor.maxTargets', want: defaults.advisor.maxTargets },
      { name: 'log level', input: 'log.level', want: defaults.log.level },
      { name: 'sim speed', input: 'demo.simSpeed', want: defaults.demo.simSpeed },
      { name: 'refit schedule', input: 'forecast.refitSchedule', want: defaults.forecast.refitSchedule },
      { name: 'advisory schedule', input: 'advisor.schedule', want: defaults.advisor.schedule },
    ];
    for (const row of rows) {
      expect(text, row.name).toContain(`| \`${row.input}\` | \`${row.want}\` |`);
    }
    const server = parseServerConfig({ prometheus: { default: { url: 'http://p:9090' } } }).prometheus.default!;
    expect(text).toContain(`| \`prometheus.<name>.queryTimeoutMs\` | \`${server.queryTimeoutMs}\` |`);
    expect(text).toContain(`| \`prometheus.<name>.cacheTtlMs\` | \`${server.cacheTtlMs}\` |`);
  });
});
