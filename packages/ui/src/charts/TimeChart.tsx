/**
 * A uPlot line chart of a few series over time, for data the page already holds (traffic per
 * bucket, a statistic per monitor run). Unlike MetricChart it fetches nothing: it draws what it is given.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from '../format.js';
import { observeWidth } from './observe-width.js';

/** One line of a chart. */
export interface TimeSeriesLine {
  label: string;
  color: string;
  /** One value per x; null leaves a gap. */
  values: readonly (number | null)[];
  /** Dashed: a reference line (a threshold, a baseline) rather than data. */
  dashed?: boolean;
}

/** What a time chart draws. */
export interface TimeChartProps {
  title: string;
  /** Seconds since the epoch (uPlot's time scale), ascending. */
  x: readonly number[];
  lines: readonly TimeSeriesLine[];
  /** Pixels. */
  height?: number;
  /** How y values read on the axis (default formatNumber). */
  formatY?: (value: number) => string;
  summary?: ReactNode;
}

const DEFAULT_HEIGHT = 200;
/** A line with up to this many values also draws each as a dot: a line alone hides a lone value. */
const DOTS_UP_TO = 30;

/** A titled chart card; resizes with its box. */
export function TimeChart({
  title,
  x,
  lines,
  height = DEFAULT_HEIGHT,
  formatY,
  summary,
}: TimeChartProps): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  const target = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [width, setWidth] = useState(0);
  const [drawn, setDrawn] = useState(false);
  useEffect(() => observeWidth(box.current, setWidth), []);

  const ready = width > 0;
  useEffect(() => {
    const element = target.current;
    if (element === null || !ready) return;
    setDrawn(false);
    const format = formatY ?? formatNumber;
    const options: uPlot.Options = {
      width: box.current?.clientWidth ?? 400,
      height,
      // A lone x would stretch uPlot's auto range over years: show a minute either side instead.
      scales: {
        x: { time: true, range: (_u, min, max) => (min === max ? [min - 60, max + 60] : [min, max]) },
      },
      series: [
        { label: 'time' },
        ...lines.map((line) => ({
          label: line.label,
          stroke: line.color,
          width: 1.5,
          dash: line.dashed === true ? [6, 4] : undefined,
          points: { show: line.dashed !== true && valuesIn(line) <= DOTS_UP_TO, size: 5 },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)),
        })),
      ],
      axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((t) => format(t)) }],
      legend: { show: true, live: true },
      hooks: { draw: [() => setDrawn(true)] },
    };
    const data = [x, ...lines.map((l) => l.values)] as unknown as uPlot.AlignedData;
    const u = new uPlot(options, data, element);
    plot.current = u;
    return () => {
      u.destroy();
      plot.current = null;
    };
    // Width changes resize the existing plot below instead of rebuilding it.
  }, [x, lines, height, formatY, ready]);

  useEffect(() => {
    if (width > 0) plot.current?.setSize({ width, height });
  }, [width, height]);

  return (
    <figure className="chart-card" aria-label={title}>
      <figcaption className="chart-title">
        <span className="chart-key">{title}</span>
        {summary === undefined ? null : <span className="chart-summary">{summary}</span>}
      </figcaption>
      <div ref={box} className="chart-box">
        <div ref={target} className="plot" data-state={drawn ? 'ready' : 'drawing'} data-points={x.length} />
      </div>
    </figure>
  );
}

function valuesIn(line: TimeSeriesLine): number {
  return line.values.reduce<number>((n, v) => (v === null ? n : n + 1), 0);
}
