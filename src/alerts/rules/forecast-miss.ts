// Load above the forecast's upper band for a sustained time means the forecast no longer describes
// the tier (an unplanned event, growth the history has not seen): pre-scaling is not protecting it.
import type { AlertRule, EvidenceItem } from './alert-rule.ts';
import { missingSignal, NO_DECISION, signalValue } from './rule-inputs.ts';
import { describeScalerAction } from './scaler-action.ts';

/** The upper quantile is already the band's edge. */
const DEFAULT_BAND_FACTOR = 1;

/** Fires while accepted spans/s stay above threshold × the upper band forecast for this moment. */
export const forecastMissRule: AlertRule = {
  name: 'forecastMiss',
  title: 'Load above the forecast band',
  severity: 'warning',
  defaultForSeconds: 900,
  threshold: { meaning: 'factor on the forecast\'s upper quantile the load must exceed', defaultValue: DEFAULT_BAND_FACTOR, above: 0, orEqual: false },
  evaluate(input, { threshold }) {
    if (input.observation.kind !== 'decision') return NO_DECISION;
    const { decision, forecastDueNow } = input.observation;
    if (forecastDueNow === undefined) return { status: 'unknown', reason: 'no forecast was made for this moment' };
    const accepted = signalValue(decision, 'acceptedSpansPerSecond');
    if (accepted === undefined) return missingSignal('acceptedSpansPerSecond');
    const factor = threshold ?? DEFAULT_BAND_FACTOR;
    const { forecast } = forecastDueNow;
    const limit = forecast.upperSpansPerSecond * factor;
    if (accepted <= limit) return { status: 'clear' };
    const quantile = `p${Math.round(forecast.quantile * 100)}`;
    const evidence: EvidenceItem[] = [
      { label: 'Spans accepted', value: accepted, unit: 'spans/s', threshold: { comparison: '>', value: limit } },
      { label: `Forecast upper band (${quantile})`, value: forecast.upperSpansPerSecond, unit: 'spans/s' },
      { label: 'Forecast point', value: forecast.pointSpansPerSecond, unit: 'spans/s' },
      { label: 'Load ÷ upper band', value: forecast.upperSpansPerSecond > 0 ? accepted / forecast.upperSpansPerSecond : Number.POSITIVE_INFINITY, unit: 'factor' },
      { label: 'Forecast model', value: forecast.model, unit: 'text' },
    ];
    return {
      status: 'active',
      summary: `Load is above the ${quantile} forecast band made ${Math.round(forecast.leadTimeSeconds)}s ahead. Pre-scaling was sized for less; the reactive proposals (queue, throughput, refused) still act.`,
      evidence,
      scalerAction: describeScalerAction(decision, input.advisory),
      checks: [
        'An unplanned event: a launch, a batch job, a retry storm after an incident. If it recurs, add it to the `calendar`.',
        'Growth the model has not seen yet: `forecastHistory` and the refit schedule.',
        'Whether the extra load is wanted at all (a new service sending debug spans).',
      ],
    };
  },
};
