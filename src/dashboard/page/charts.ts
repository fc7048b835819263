// Time charts (uPlot, bundled): one small helper so every chart on the page has the same look, a
// legend, stepped lines for replica counts, and a width that follows its container (laptop or phone).
import uPlot from 'uplot';
import { el } from './dom.ts';
import { clockLabel, formatDateTime, formatNumber, formatPercent } from './format.ts';

/** One line of a chart. `stepped` for counts that change in steps (replicas). */
export interface LineSpec {
  readonly label: string;
  readonly color: string;
  readonly dash?: readonly number[];
  readonly stepped?: boolean;
  readonly width?: number;
  /** Fill under the line with this colour. */
  readonly fill?: string;
}

export interface ChartSpec {
  readonly title: string;
  /** How the y axis and legend print values. */
  readonly unit: 'count' | 'ratio' | 'spans/s' | 'ms';
  readonly lines: readonly LineSpec[];
  /** Filled areas between two lines, by line index (0-based in `lines`): [upper, lower]. */
  readonly bands?: readonly { readonly between: readonly [number, number]; readonly fill: string }[];
  /** Chart ids the browser test and people can find it by. */
  readonly id: string;
}

/** x values in ms since the epoch, then one column per line. */
export type ChartColumns = readonly [readonly number[], ...(readonly (number | null)[])[]];

export interface ChartHandle {
  readonly element: HTMLElement;
  update(columns: ChartColumns): void;
  destroy(): void;
}

/** Named colours so the same series has the same colour on every chart. */
export const COLORS = {
  load: '#1f77b4',
  forecast: '#9467bd',
  capacity: '#7f7f7f',
  current: '#2ca02c',
  recommended: '#d62728',
  threshold: '#ff7f0e',
  secondary: '#17becf',
  /** One colour per proposal (there are eight), none repeated: Tableau 10 without its greys. */
  proposals: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf'],
} as const;

const HEIGHT_PX = 220;

function formatValue(unit: ChartSpec['unit'], value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (unit === 'ratio') return formatPercent(value);
  if (unit === 'ms') return `${formatNumber(value)} ms`;
  return formatNumber(value);
}

function toSeconds(columns: ChartColumns): uPlot.AlignedData {
  const [x, ...ys] = columns;
  return [x.map((ms) => ms / 1000), ...ys.map((column) => [...column])] as uPlot.AlignedData;
}

const steppedPaths = uPlot.paths.stepped?.({ align: 1 });

/** Times on the axis and in the legend are UTC, as everywhere on the page. */
const utcDate = (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');

/**
 * The y axis is as wide as its longest tick label ("12.3k ms") plus the tick and gap, measured with
 * the canvas font, so no label is cut at the chart's left edge whatever the values are.
 */
function axisWidth(self: uPlot, values: string[] | undefined, axisIndex: number, cycle: number): number {
  const axis = self.axes[axisIndex] as uPlot.Axis & { _size?: number; font?: [string, number, number] };
  // uPlot lays out in cycles; keeping the first answer lets the layout settle.
  if (cycle > 1 && axis._size !== undefined) return axis._size;
  const longest = (values ?? []).reduce((widest, value) => (value.length > widest.length ? value : widest), '');
  self.ctx.font = axis.font?.[0] ?? self.ctx.font;
  const textWidth = longest === '' ? 0 : self.ctx.measureText(longest).width / devicePixelRatio;
  const ticks = typeof axis.ticks === 'object' ? (axis.ticks.size ?? 10) : 10;
  return Math.ceil(textWidth + ticks + (axis.gap ?? 5) + 4);
}

/** Draws a chart into a new <figure>; call update() with new columns, destroy() when the view goes. */
export function createChart(spec: ChartSpec, columns: ChartColumns): ChartHandle {
  const plotArea = el('div', { class: 'chart-plot' });
  const figure = el('figure', { class: 'chart', id: spec.id }, el('figcaption', null, spec.title), plotArea);
  const options: uPlot.Options = {
    width: 600,
    height: HEIGHT_PX,
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    tzDate: utcDate,
    scales: { x: { time: true }, y: { range: (_self, min, max) => (spec.unit === 'ratio' ? [0, Math.max(1, max ?? 1)] : [Math.min(0, min ?? 0), Math.max(1, (max ?? 1) * 1.1)]) } },
    axes: [{ label: `time (${clockLabel()})`, labelSize: 20 }, { size: axisWidth, values: (_self, ticks) => ticks.map((tick) => formatValue(spec.unit, tick)) }],
    series: [
      { label: 'time', value: (_self, seconds) => (seconds === null ? '–' : formatDateTime(seconds * 1000)) },
      ...spec.lines.map(
        (line): uPlot.Series => ({
          label: line.label,
          stroke: line.color,
          width: line.width ?? 1.5,
          ...(line.dash ? { dash: [...line.dash] } : {}),
          ...(line.fill ? { fill: line.fill } : {}),
          ...(line.stepped && steppedPaths ? { paths: steppedPaths } : {}),
          spanGaps: false,
          value: (_self, value) => formatValue(spec.unit, value),
        }),
      ),
    ],
    bands: (spec.bands ?? []).map((band) => ({ series: [band.between[0] + 1, band.between[1] + 1] as [number, number], fill: band.fill })),
  };
  const plot = new uPlot(options, toSeconds(columns), plotArea);
  const resize = () => {
    const width = Math.max(240, Math.floor(plotArea.clientWidth));
    if (width !== plot.width) plot.setSize({ width, height: HEIGHT_PX });
  };
  const observer = new ResizeObserver(resize);
  observer.observe(plotArea);
  return {
    element: figure,
    update: (next) => plot.setData(toSeconds(next)),
    destroy: () => {
      observer.disconnect();
      plot.destroy();
    },
  };
}
