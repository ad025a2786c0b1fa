/**
 * One metric's curves for every compared run that logged it, overlaid in one uPlot chart with a
 * legend of run names. Each run's history comes from the server already downsampled; dragging
 * zooms into the drawn points, double-click zooms out.
 */
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricAxis, MetricBuckets, Run } from '@slipway/contracts';
import { client } from '../api.js';
import { seriesOf } from '../charts/chart-data.js';
import { observeWidth } from '../charts/observe-width.js';
import { ErrorMessage } from '../components/status.js';
import { formatNumber } from '../format.js';
import { useAsync } from '../use-async.js';
import { alignSeries, colorOf } from './compare-data.js';

/** A compared run and its place (and so its color) in the comparison. */
export interface ComparedRun {
  run: Run;
  index: number;
}

/** What a compare chart shows. */
export interface CompareChartProps {
  metricKey: string;
  /** The compared runs that logged this metric. */
  runs: readonly ComparedRun[];
  axis: MetricAxis;
}

const PLOT_HEIGHT = 200;
/**
 * Buckets per run: half the chart's width, since up to 20 curves share the pixels and the aligned
 * table grows with every run's points.
 */
const MAX_BUCKETS = 1000;
/** Up to this many points per run, each is drawn as a dot too: a line alone hides a short history. */
const DOTS_UP_TO = 200;

/** The overlaid curves of one metric, with loading and error states. */
export function CompareChart({ metricKey, runs, axis }: CompareChartProps): ReactNode {
  const [width, setWidth] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => observeWidth(box.current, setWidth), []);
  const buckets = width === 0 ? 0 : Math.min(MAX_BUCKETS, Math.max(50, Math.round(width / 2)));
  const ids = runs.map((r) => r.run.info.runId).join(',');
  const state = useAsync(
    () =>
      buckets === 0
        ? new Promise<MetricBuckets[]>(() => undefined)
        : Promise.all(
            runs.map((r) => client.runs.metricBuckets(r.run.info.runId, metricKey, { buckets, axis })),
          ),
    // `ids` stands for `runs`, which is a new array on every render.
    [ids, metricKey, axis, buckets],
  );
  const total = state.status === 'ok' ? state.data.reduce((sum, b) => sum + b.total, 0) : undefined;
  // A metric logged once per run (a final score) has no curve: the metric diff table shows it.
  const single = state.status === 'ok' && state.data.every((b) => b.total <= 1);
  return (
    <figure
      className={single ? 'chart-card compare-single' : 'chart-card'}
      aria-label={`Chart of ${metricKey}`}
    >
      <figcaption className="chart-title">
        <span className="chart-key">{metricKey}</span>
        <span className="chart-summary">
          {runs.length} run{runs.length === 1 ? '' : 's'}
          {total === undefined ? '' : ` · ${total.toLocaleString()} points`}
        </span>
      </figcaption>
      <div ref={box} className="chart-box" style={{ minHeight: single ? undefined : PLOT_HEIGHT }}>
        {state.status === 'error' ? (
          <ErrorMessage error={state.error} action={`Could not load ${metricKey}`} />
        ) : null}
        {single ? (
          <p className="subtle single-values">One value per run: see the latest metrics table below.</p>
        ) : null}
        {state.status === 'ok' && !single ? (
          <Plot runs={runs} data={state.data} axis={axis} width={width} />
        ) : null}
        {state.status === 'loading' ? (
          <div className="chart-loading" role="status">
            Loading {metricKey}…
          </div>
        ) : null}
      </div>
    </figure>
  );
}

interface PlotProps {
  runs: readonly ComparedRun[];
  data: readonly MetricBuckets[];
  axis: MetricAxis;
  width: number;
}

/** The uPlot canvas; rebuilt when the data changes, resized in place. */
function Plot({ runs, data, axis, width }: PlotProps): ReactNode {
  const target = useRef<HTMLDivElement>(null);
  const legendBox = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [drawn, setDrawn] = useState(false);
  const aligned = useMemo(() => alignSeries(data.map((d) => seriesOf(d.buckets, axis))), [data, axis]);
  const dots = data.every((d) => d.total <= DOTS_UP_TO);

  useEffect(() => {
    const element = target.current;
    if (element === null) return;
    setDrawn(false);
    const options: uPlot.Options = {
      width: Math.max(width, 200),
      height: PLOT_HEIGHT,
      scales: { x: { time: axis === 'time' } },
      series: [
        { label: axis === 'step' ? 'step' : 'time' },
        ...runs.map((r) => ({
          label: r.run.info.runName || r.run.info.runId,
          stroke: colorOf(r.index),
          width: 1.5,
          // Runs log at different steps, so each curve joins its own points across the others' x values.
          spanGaps: true,
          points: { show: dots, size: 5 },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : formatNumber(v)),
        })),
      ],
      axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((t) => formatNumber(t)) }],
      cursor: { drag: { x: true, y: false } },
      // The legend goes in its own scrolling box: with 20 long run names it would dwarf the plot.
      legend: { show: true, live: true, mount: (_u, el) => legendBox.current?.appendChild(el) },
      hooks: { draw: [() => setDrawn(true)] },
    };
    const u = new uPlot(options, [aligned.x, ...aligned.ys] as uPlot.AlignedData, element);
    plot.current = u;
    return () => {
      u.destroy();
      plot.current = null;
    };
    // Width changes resize the existing plot below instead of rebuilding it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [aligned, axis, dots]);

  useEffect(() => {
    if (width > 0) plot.current?.setSize({ width, height: PLOT_HEIGHT });
  }, [width]);

  if (data.every((d) => d.total <= 1)) {
    return (
      <p className="subtle single-values">One value per run: the latest metrics table below has them.</p>
    );
  }
  return (
    <>
      <div
        ref={target}
        className="plot"
        data-state={drawn ? 'ready' : 'drawing'}
        data-series={runs.length}
        data-points={aligned.x.length}
      />
      <div ref={legendBox} className="compare-legend" />
    </>
  );
}
