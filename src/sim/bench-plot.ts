// `--plot`: one SVG with three aligned panels over the run — offered load (and the replicas it
// needs), Deployment replicas per autoscaler, lost spans/s per autoscaler on a log scale — with
// backend outages shaded in every panel. Hand-written SVG: no dependency, opens in any browser.
import type { BenchResult } from './bench.ts';

const WIDTH = 1200;
const LEFT = 80;
const RIGHT = 200;
const PANEL_HEIGHT = 230;
const GAP = 50;
const TOP = 60;
const COLORS: Record<string, string> = {
  'static-peak': '#7f7f7f',
  'hpa-cpu-70': '#1f77b4',
  'hpa-cpu-90': '#17becf',
  'keda-prometheus-queue': '#ff7f0e',
  'scaler-reactive': '#2ca02c',
  'scaler-forecast': '#d62728',
  oracle: '#9467bd',
};
const TICK_CHOICES_MS = [3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000];
const MAX_TICKS = 10;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) if (factor * magnitude >= raw) return factor * magnitude;
  return 10 * magnitude;
}

function formatNumber(value: number): string {
  if (value >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return `${+value.toFixed(2)}`;
}

/** Time axis ticks: hours, days or weeks for short runs, the first of every n-th month (UTC) for long ones. */
function timeTicks(startMs: number, endMs: number): { readonly t: number; readonly label: string }[] {
  const ticks: { t: number; label: string }[] = [];
  const stepMs = TICK_CHOICES_MS.find((choice) => (endMs - startMs) / choice <= MAX_TICKS);
  if (stepMs !== undefined) {
    for (let t = Math.ceil(startMs / stepMs) * stepMs; t <= endMs; t += stepMs) {
      const iso = new Date(t).toISOString();
      ticks.push({ t, label: stepMs < 86_400_000 ? iso.slice(5, 16).replace('T', ' ') : iso.slice(0, 10) });
    }
    return ticks;
  }
  const start = new Date(startMs);
  const months = (new Date(endMs).getUTCFullYear() - start.getUTCFullYear()) * 12 + new Date(endMs).getUTCMonth() - start.getUTCMonth();
  const everyMonths = [1, 2, 3, 6, 12, 24].find((n) => months / n <= MAX_TICKS) ?? 60;
  for (let m = 1; m <= months; m++) {
    const t = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + m, 1);
    const month = new Date(t).getUTCMonth();
    if (month % everyMonths === 0 || (everyMonths > 12 && month === 0)) ticks.push({ t, label: new Date(t).toISOString().slice(0, 7) });
  }
  return ticks;
}

function bucketDuration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${+(seconds / 60).toFixed(1)} min`;
  return `${+(seconds / 3600).toFixed(1)} h`;
}

interface Panel {
  readonly top: number;
  readonly title: string;
  /** Maps a value to a y coordinate inside the panel. */
  readonly y: (value: number) => number;
  readonly ticks: readonly { readonly value: number; readonly label: string }[];
}

function linearPanel(top: number, title: string, max: number): Panel {
  const step = niceStep(Math.max(max, 1e-9), 5);
  const ceiling = Math.ceil(max / step) * step || step;
  const ticks = [];
  for (let value = 0; value <= ceiling + step / 2; value += step) ticks.push({ value, label: formatNumber(value) });
  return { top, title, y: (value) => top + PANEL_HEIGHT - (PANEL_HEIGHT * value) / ceiling, ticks };
}

function logPanel(top: number, title: string, max: number): Panel {
  // log10(1 + v): zero sits on the axis and every decade gets the same height.
  const decades = Math.max(1, Math.ceil(Math.log10(1 + max)));
  const ticks = Array.from({ length: decades + 1 }, (_, d) => ({ value: 10 ** d - 1, label: d === 0 ? '0' : formatNumber(10 ** d) }));
  return { top, title, y: (value) => top + PANEL_HEIGHT - (PANEL_HEIGHT * Math.log10(1 + Math.max(0, value))) / decades, ticks };
}

/** Renders the run as an SVG document. */
export function renderBenchSvg(result: BenchResult): string {
  const { scenario, policies } = result;
  const { plot } = scenario;
  const buckets = plot.loadSpansPerSecond.length;
  const stepMs = scenario.stepSeconds * 1000;
  const startMs = scenario.startMs;
  const endMs = startMs + scenario.steps * stepMs;
  const bucketMs = plot.bucketSteps * stepMs;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (timeMs: number) => LEFT + (plotWidth * (timeMs - startMs)) / (endMs - startMs);
  const bucketX = (i: number) => x(startMs + (i + 0.5) * bucketMs);

  const maxReplicas = Math.max(...policies.map((p) => Math.max(...p.series.replicas)), ...plot.demandReplicas);
  const maxLost = Math.max(0, ...policies.map((p) => Math.max(...p.series.lostSpansPerSecond)));
  const panels = [
    linearPanel(TOP, 'offered load (spans/s)', Math.max(...plot.loadSpansPerSecond)),
    linearPanel(TOP + PANEL_HEIGHT + GAP, 'Deployment replicas', maxReplicas),
    logPanel(TOP + 2 * (PANEL_HEIGHT + GAP), 'lost spans/s (log scale)', maxLost),
  ] as const;
  const height = TOP + 3 * PANEL_HEIGHT + 2 * GAP + 60;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="${LEFT}" y="24" font-size="15" font-weight="bold">${escapeXml(scenario.traceName)}: ${scenario.outages.length} backend outage(s) shaded red</text>`,
  ];

  const line = (values: ArrayLike<number>, panel: Panel, color: string, width: number, dash = '') => {
    const points: string[] = [];
    for (let i = 0; i < buckets; i++) points.push(`${bucketX(i).toFixed(1)},${panel.y(values[i]!).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${points.join(' ')}"/>`);
  };

  const ticks = timeTicks(startMs, endMs);
  for (const panel of panels) {
    const bottom = panel.top + PANEL_HEIGHT;
    for (const window of scenario.outages) {
      out.push(`<rect x="${x(window.startMs).toFixed(1)}" y="${panel.top}" width="${Math.max(1.5, x(window.endMs) - x(window.startMs)).toFixed(1)}" height="${PANEL_HEIGHT}" fill="#d62728" fill-opacity="0.18"/>`);
    }
    for (const tick of panel.ticks) {
      const y = panel.y(tick.value).toFixed(1);
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${LEFT - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tick.label}</text>`);
    }
    for (const { t, label } of ticks) {
      out.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${panel.top}" y2="${bottom}" stroke="#eeeeee"/>`);
      out.push(`<text x="${x(t).toFixed(1)}" y="${bottom + 14}" text-anchor="middle" fill="#555">${label}</text>`);
    }
    out.push(`<rect x="${LEFT}" y="${panel.top}" width="${plotWidth}" height="${PANEL_HEIGHT}" fill="none" stroke="#999"/>`);
    out.push(`<text x="${LEFT}" y="${panel.top - 8}" font-weight="bold">${escapeXml(panel.title)}</text>`);
  }

  line(plot.loadSpansPerSecond, panels[0], '#333333', 1.2);
  line(plot.demandReplicas, panels[1], '#000000', 1.5, '4 3');
  for (const policy of policies) {
    const color = COLORS[policy.name] ?? '#000000';
    line(policy.series.replicas, panels[1], color, 1.2);
    line(policy.series.lostSpansPerSecond, panels[2], color, 1.2);
  }

  const legendX = LEFT + plotWidth + 20;
  const legend: [string, string, string][] = [['needed at target u', '#000000', '4 3'], ...policies.map((p): [string, string, string] => [p.name, COLORS[p.name] ?? '#000000', ''])];
  legend.forEach(([label, color, dash], i) => {
    const y = panels[1].top + 10 + i * 20;
    out.push(`<line x1="${legendX}" x2="${legendX + 24}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    const text = label.length > 22 ? `${label.slice(0, 21)}…` : label;
    out.push(`<text x="${legendX + 30}" y="${y}" dominant-baseline="middle"><title>${escapeXml(label)}</title>${escapeXml(text)}</text>`);
  });
  out.push(`<text x="${LEFT}" y="${height - 12}" fill="#555">Each point is the mean over ${bucketDuration(plot.bucketSteps * scenario.stepSeconds)}. Replicas are what each autoscaler set on the Deployment (starting pods included).</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
