import { describe, expect, it } from 'vitest';
import { type CommandLine, parseCommandLine, USAGE } from '../../src/cli/args.ts';
import { UsageError } from '../../src/cli/command-line.ts';

describe('parseCommandLine', () => {
  const accepted: { name: string; input: { argv: string[]; env: Record<string, string> }; want: CommandLine }[] = [
    { name: 'nothing given: no overrides (the config schema has the defaults)', input: { argv: [], env: {} }, want: { kind: 'start', overrides: {} } },
    {
      name: 'every flag',
      input: { argv: ['--config', 'scaler.yaml', '--prometheus-url', 'http://prom:9090', '--grpc-port', '7000', '--http-port=0', '--sim-speed', '600'], env: {} },
      want: { kind: 'start', overrides: { configFile: 'scaler.yaml', prometheusUrl: 'http://prom:9090', grpcPort: 7000, httpPort: 0, simSpeed: 600 } },
    },
    {
      name: 'every environment variable',
      input: { argv: [], env: { CONFIG_FILE: '/etc/scaler/config.yaml', PROMETHEUS_URL: 'https://prom', GRPC_PORT: '6001', HTTP_PORT: '8081', SIM_SPEED: '1.5' } },
      want: { kind: 'start', overrides: { configFile: '/etc/scaler/config.yaml', prometheusUrl: 'https://prom', grpcPort: 6001, httpPort: 8081, simSpeed: 1.5 } },
    },
    {
      name: 'flags win over the environment',
      input: { argv: ['--grpc-port', '7000', '--prometheus-url', 'http://flag:9090'], env: { GRPC_PORT: '6001', PROMETHEUS_URL: 'http://env:9090', HTTP_PORT: '8081' } },
      want: { kind: 'start', overrides: { prometheusUrl: 'http://flag:9090', grpcPort: 7000, httpPort: 8081 } },
    },
    { name: 'an empty variable counts as unset', input: { argv: [], env: { GRPC_PORT: '' } }, want: { kind: 'start', overrides: {} } },
    { name: '--help', input: { argv: ['--help'], env: {} }, want: { kind: 'help' } },
    { name: '-h even with bad env', input: { argv: ['-h'], env: { GRPC_PORT: 'x' } }, want: { kind: 'help' } },
    { name: '--version', input: { argv: ['--version'], env: {} }, want: { kind: 'version' } },
    { name: '-V even with bad env', input: { argv: ['-V'], env: { HTTP_PORT: 'x' } }, want: { kind: 'version' } },
  ];
  for (const row of accepted) {
    it(`accepts ${row.name}`, () => {
      expect(parseCommandLine(row.input.argv, row.input.env)).toEqual(row.want);
    });
  }

  const rejected: { name: string; input: { argv: string[]; env: Record<string, string> }; want: RegExp }[] = [
    { name: 'an unknown flag', input: { argv: ['--grpc-prot', '7000'], env: {} }, want: /^unknown option --grpc-prot$/ },
    { name: 'a positional argument', input: { argv: ['serve'], env: {} }, want: /serve/ },
    { name: 'a flag without its value', input: { argv: ['--config'], env: {} }, want: /^--config needs a value$/ },
    { name: 'a port that is not a number', input: { argv: ['--grpc-port', 'six'], env: {} }, want: /--grpc-port must be a port number from 0 to 65535, got "six"/ },
    { name: 'a port out of range', input: { argv: ['--http-port', '70000'], env: {} }, want: /--http-port must be a port number .* got "70000"/ },
    { name: 'a bad port from the environment', input: { argv: [], env: { HTTP_PORT: '80a' } }, want: /HTTP_PORT must be a port number/ },
    { name: 'a Prometheus URL without a scheme', input: { argv: ['--prometheus-url', 'prometheus:9090'], env: {} }, want: /--prometheus-url must be an http\(s\) URL/ },
    { name: 'a simulation speed of 0', input: { argv: ['--sim-speed', '0'], env: {} }, want: /--sim-speed must be a number above 0 and at most 10000 .* got "0"/ },
    { name: 'a simulation speed with a unit', input: { argv: [], env: { SIM_SPEED: '60x' } }, want: /SIM_SPEED must be a number above 0/ },
    { name: 'a Prometheus URL that is not http', input: { argv: [], env: { PROMETHEUS_URL: 'ftp://prom' } }, want: /PROMETHEUS_URL must be an http\(s\) URL/ },
  ];
  for (const row of rejected) {
    it(`rejects ${row.name}`, () => {
      expect(() => parseCommandLine(row.input.argv, row.input.env)).toThrow(UsageError);
      expect(() => parseCommandLine(row.input.argv, row.input.env)).toThrow(row.want);
    });
  }

  it('the usage text lists every flag and its environment variable', () => {
    for (const text of ['--config', 'CONFIG_FILE', '--prometheus-url', 'PROMETHEUS_URL', '--grpc-port', 'GRPC_PORT', '--http-port', 'HTTP_PORT', '--sim-speed', 'SIM_SPEED', '--help', '--version']) {
      expect(USAGE).toContain(text);
    }
  });
});
