// One scenario's moving parts, started in the order the tests need them: the tier, load through its
// agents, the generator/sink timeline, the scaler on the tier's Prometheus, and a full rate window of
// scrapes. stop() takes them down in reverse; it is safe after a failed start.
import { waitForScrapeHistory } from '../../support/prometheus.ts';
import { GATEWAY_SELECTOR, type GatewayTier, type GatewayTierOptions, startGatewayTier } from './gateway-tier.ts';
import { type LoadGenerator, type LoadSettings, startLoadGenerator } from './load-generator.ts';
import type { AdvisorOptions } from '../../../src/advisor/advisor.ts';
import type { PrometheusSignalSource } from '../../../src/signals/prometheus-source.ts';
import { startTierScaler, type TierScaler } from './tier-scaler.ts';
import { startTierTimeline, type TierTimeline } from './tier-timeline.ts';

export interface TierScenarioOptions {
  readonly tier: GatewayTierOptions;
  readonly load: LoadSettings;
  /** ScaledObject trigger metadata besides gatewaySelector and rateWindow. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The trigger's rateWindow; start waits until a full window has been scraped. */
  readonly rateWindowSeconds: number;
  /** The scaler's hooks for learned figures (see startTierScaler). */
  readonly learned?: (source: PrometheusSignalSource) => Partial<AdvisorOptions>;
}

export interface TierScenario {
  readonly tier: GatewayTier;
  readonly load: LoadGenerator;
  readonly timeline: TierTimeline;
  readonly scaler: TierScaler;
  stop(): Promise<void>;
}

export async function startTierScenario(options: TierScenarioOptions): Promise<TierScenario> {
  const parts: { -readonly [K in keyof Omit<TierScenario, 'stop'>]?: TierScenario[K] } = {};
  const stop = async () => {
    parts.timeline?.stop();
    await parts.load?.stop();
    await parts.scaler?.stop();
    await parts.tier?.stop();
  };
  try {
    const tier = await startGatewayTier(options.tier);
    parts.tier = tier;
    parts.load = startLoadGenerator(tier.agentEndpoints, options.load);
    parts.timeline = startTierTimeline(parts.load, tier.sink);
    parts.scaler = await startTierScaler(tier.prometheus.url, { ...options.metadata, rateWindow: `${options.rateWindowSeconds}s` }, options.learned);
    await waitForScrapeHistory(tier.prometheus.url, GATEWAY_SELECTOR, options.rateWindowSeconds + 2, 120_000, options.tier.scrapeIntervalSeconds);
    return { ...(parts as Omit<TierScenario, 'stop'>), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
