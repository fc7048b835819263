import { describe, expect, it } from 'vitest';
import { METADATA_DEFAULTS, METADATA_KEYS, parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { ScalerError } from '../../src/errors.ts';

const selector = { gatewaySelector: 'job="otel-gateway"' };

describe('parseTargetMetadata', () => {
  const rejections: { name: string; input: Record<string, string>; want: RegExp }[] = [
    { name: 'selector missing', input: {}, want: /gatewaySelector is required/ },
    { name: 'selector not a label matcher', input: { gatewaySelector: 'otel-gateway' }, want: /gatewaySelector expected =, !=, =~ or !~ after otel/ },
    { name: 'agent selector not a label matcher', input: { ...selector, agentSelector: 'otel-agent' }, want: /^scalerMetadata\.agentSelector expected =, !=, =~ or !~ after otel/ },
    { name: 'duration with a fraction (Prometheus has none)', input: { ...selector, rateWindow: '1.5m' }, want: /rateWindow must be a duration like "30s".* got "1.5m"/ },
    { name: 'duration with padding', input: { ...selector, rateWindow: ' 2m' }, want: /rateWindow must be a duration like "30s".* got " 2m"/ },
    { name: 'duration units out of order', input: { ...selector, rateWindow: '30s1m' }, want: /rateWindow must be a duration/ },
    { name: 'value above 4 KiB', input: { ...selector, mode: 'x'.repeat(4097) }, want: /^scalerMetadata\.mode holds 4097 bytes; a metadata value may hold at most 4096 bytes \(4 KiB\)$/ },
    {
      name: 'map above 32 KiB',
      input: { ...selector, ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v'.repeat(4000)])) },
      want: /^scalerMetadata holds 36\d+ bytes in all; a trigger's metadata may hold at most 32768 bytes \(32 KiB\); its largest entry is k\d \(4002 bytes\)$/,
    },
    { name: 'huge unknown key, echoed short', input: { ...selector, ['k'.repeat(2000)]: '1' }, want: /^scalerMetadata\.k{200}… \(1800 more characters\) is not a known key/ },
    { name: 'unknown key', input: { ...selector, targetCPU: '70' }, want: /targetCPU is not a known key; allowed keys: gatewaySelector/ },
    { name: 'min above max', input: { ...selector, minReplicas: '10', maxReplicas: '4' }, want: /minReplicas \(10\) must be ≤ maxReplicas \(4\)/ },
    { name: 'non-integer replicas', input: { ...selector, maxReplicas: '4.5' }, want: /maxReplicas must be an integer/ },
    { name: 'number with trailing text', input: { ...selector, numTraces: '50000traces' }, want: /numTraces must be an integer .* got "50000traces"/ },
    { name: 'fill above 1', input: { ...selector, targetQueueFill: '1.5' }, want: /targetQueueFill must be a number > 0 and ≤ 1/ },
    { name: 'zero utilization', input: { ...selector, targetUtilization: '0' }, want: /targetUtilization must be a number > 0/ },
    { name: 'mode misspelt', input: { ...selector, mode: 'dryrun' }, want: /mode must be one of enforce \| dry-run/ },
    { name: 'duration without unit', input: { ...selector, rateWindow: '120' }, want: /rateWindow must be a duration like "30s"/ },
    { name: 'prometheus given as URL', input: { ...selector, prometheus: 'http://evil:9090' }, want: /prometheus must be the name of a Prometheus server/ },
  ];
  for (const row of rejections) {
    it(`rejects: ${row.name}`, () => {
      let caught: unknown;
      try {
        parseTargetMetadata(row.input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ScalerError);
      expect((caught as ScalerError).code).toBe('INVALID_METADATA');
      expect((caught as ScalerError).message).toMatch(row.want);
    });
  }

  it('parses equal metadata once, in any key order, and tells different metadata and defaults apart', () => {
    const first = parseTargetMetadata({ ...selector, minReplicas: '3', maxReplicas: '9' });
    expect(parseTargetMetadata({ maxReplicas: '9', minReplicas: '3', ...selector })).toBe(first);
    expect(parseTargetMetadata({ ...selector, minReplicas: '3', maxReplicas: '10' }).maxReplicas).toBe(10);
    const serverDefaults = { numTraces: '80000' };
    expect(parseTargetMetadata({ ...selector, minReplicas: '3', maxReplicas: '9' }, serverDefaults).numTraces).toBe(80_000);
    expect(parseTargetMetadata({ ...selector, minReplicas: '3', maxReplicas: '9' }).numTraces).toBe(first.numTraces);
  });

  it('rejects bad metadata on every call, not only the first', () => {
    for (let call = 0; call < 2; call++) expect(() => parseTargetMetadata({ ...selector, maxReplicas: 'many' })).toThrow(/maxReplicas must be an integer/);
  });

  it('accepts and ignores the keys KEDA reads itself', () => {
    const settings = parseTargetMetadata({ ...selector, scalerAddress: 'scaler:6000', enableTLS: 'true', unsafeSsl: 'false' });
    expect(settings.gatewaySelector).toBe('job="otel-gateway"');
  });

  it('takes metadata over server defaults over built-in defaults', () => {
    const settings = parseTargetMetadata({ ...selector, minReplicas: '3' }, { minReplicas: '5', maxReplicas: '40' });
    expect(settings.minReplicas).toBe(3);
    expect(settings.maxReplicas).toBe(40);
    expect(settings.targetUtilization).toBe(0.7);
  });

  it('derives scaleInWindow from decisionWait + 60s when not set, and keeps an explicit one', () => {
    expect(parseTargetMetadata({ ...selector, decisionWait: '45s' }).scaleInWindowSeconds).toBe(105);
    expect(parseTargetMetadata({ ...selector, scaleInWindow: '10m' }).scaleInWindowSeconds).toBe(600);
  });

  it('keeps commas inside a quoted matcher value', () => {
    const settings = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway",namespace=~"obs,obs-2"' });
    expect(settings.gatewaySelector).toContain('obs,obs-2');
  });

  it('reads durations as Prometheus does, compound ones included', () => {
    expect(parseTargetMetadata({ ...selector, rateWindow: '1m30s' }).rateWindowSeconds).toBe(90);
    expect(parseTargetMetadata({ ...selector, decisionLatencyBudget: '1s500ms' }).decisionLatencyBudgetMs).toBe(1500);
  });

  it('documents a default for every key except the required selector, the optional Deployment and agents, the derived window and the figures read from kube-state-metrics', () => {
    const undocumented = METADATA_KEYS.filter((key) => METADATA_DEFAULTS[key] === undefined);
    expect(undocumented.sort()).toEqual(['agentSelector', 'cpuPerReplica', 'deploymentName', 'gatewaySelector', 'scaleInDrain', 'scaleInWindow']);
  });

  it('reads the agents only where a trigger selects them, as Prometheus gets the matchers', () => {
    expect(parseTargetMetadata(selector).agentSelector).toBeUndefined();
    expect(parseTargetMetadata({ ...selector, agentSelector: ' job="otel-agent", namespace=~"obs,obs-2" ' }).agentSelector).toBe('job="otel-agent",namespace=~"obs,obs-2"');
  });

  it('keeps cpuPerReplica (then read from kube-state-metrics) and scaleInDrain (then unknown) unset unless a trigger sets them', () => {
    expect(parseTargetMetadata(selector)).toMatchObject({ cpuPerReplicaCores: undefined, scaleInDrainSeconds: undefined });
    expect(parseTargetMetadata({ ...selector, cpuPerReplica: '1.5', scaleInDrain: '45s' })).toMatchObject({ cpuPerReplicaCores: 1.5, scaleInDrainSeconds: 45 });
    expect(() => parseTargetMetadata({ ...selector, cpuPerReplica: '0' })).toThrow(/scalerMetadata.cpuPerReplica must be a number > 0/);
  });

  it('takes a drain of zero (gateways with no preStop sleep), though Prometheus durations are positive', () => {
    expect(parseTargetMetadata({ ...selector, scaleInDrain: '0s' }).scaleInDrainSeconds).toBe(0);
    expect(parseTargetMetadata({ ...selector, scaleInDrain: '0ms' }).scaleInDrainSeconds).toBe(0);
    expect(() => parseTargetMetadata({ ...selector, decisionWait: '0s' })).toThrow(/scalerMetadata.decisionWait must be a duration/);
  });

  it('reads dropPendingTracesOnShutdown as the collector option it mirrors, false unless set, and names the fix for anything else', () => {
    expect(parseTargetMetadata(selector).dropPendingTracesOnShutdown).toBe(false);
    expect(parseTargetMetadata({ ...selector, dropPendingTracesOnShutdown: 'true' }).dropPendingTracesOnShutdown).toBe(true);
    expect(() => parseTargetMetadata({ ...selector, dropPendingTracesOnShutdown: 'yes' })).toThrow('scalerMetadata.dropPendingTracesOnShutdown must be "true" or "false", got "yes"');
  });

  it("reads the agents' re-resolve as the exporter's interval and the cluster DNS's TTL, kubeadm's 30 s unless set, and names the fix for anything else", () => {
    expect(parseTargetMetadata(selector)).toMatchObject({ dnsResolverIntervalSeconds: 5, dnsTtlSeconds: 30 });
    // A DNS answer that is not cached (TTL 0) leaves the resolver's interval alone.
    expect(parseTargetMetadata({ ...selector, dnsResolverInterval: '30s', dnsTtl: '0s' })).toMatchObject({ dnsResolverIntervalSeconds: 30, dnsTtlSeconds: 0 });
    expect(() => parseTargetMetadata({ ...selector, dnsResolverInterval: '0s' })).toThrow(/scalerMetadata.dnsResolverInterval must be a duration like "30s", "2m" or "1h" between 1s and 3600s, got "0s"/);
    expect(() => parseTargetMetadata({ ...selector, dnsTtl: '30' })).toThrow(/scalerMetadata.dnsTtl must be a duration/);
  });
});
