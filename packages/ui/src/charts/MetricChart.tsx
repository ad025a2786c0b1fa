/**
 * One metric's chart on the run page, drawn with uPlot from the server's buckets. Dragging across it
 * zooms in, and the zoomed range is fetched again at full detail; double-click or "Reset zoom"
 * goes back to the whole history.
 */
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricAxis, MetricBuckets } from '@slipway/contracts';
import { client } from '../api.js';
import { ErrorMessage } from '../components/status.js';
import { formatNumber } from '../format.js';
import { useAsync } from '../use-async.js';
import { axisValueOf, extremesOf, seriesOf, smooth } from './chart-data.js';

/** What a chart shows. */
export interface MetricChartProps {
  runId: string;
  metricKey: string;
  axis: MetricAxis;
  /** 0 (none) to 0.99. */
  smoothing: number;
}

/** A range of the axis in the server's units (steps or ms). */
interface AxisRange {
  from: number;
  to: number;
}

/** A zoom: the range and the axis it was made on (a zoom ends when the axis changes). */
interface Zoom extends AxisRange {
  axis: MetricAxis;
}

const HEIGHT = 220;
/** About one bucket per pixel column: enough for the line to look exact, never more. */
const MAX_BUCKETS = 2000;
const RAW_COLOR = '#2563eb';
const SMOOTH_COLOR = '#c2410c';

/** A metric's chart with its own loading and error states. */
export function MetricChart({ runId, metricKey, axis, smoothing }: MetricChartProps): ReactNode {
  const [zoom, setZoom] = useState<Zoom | undefined>(undefined);
  const range = zoom?.axis === axis ? { from: zoom.from, to: zoom.to } : undefined;
  const [width, setWidth] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => observeWidth(box.current, setWidth), []);
  const zoomTo = (r: AxisRange): void => setZoom({ ...r, axis });
  const reset = (): void => setZoom(undefined);
  const buckets = width === 0 ? 0 : Math.min(MAX_BUCKETS, Math.max(100, Math.round(width)));
  const state = useAsync(
    () =>
      buckets === 0 ? pending() : client.runs.metricBuckets(runId, metricKey, { buckets, axis, ...range }),
    [runId, metricKey, axis, range?.from, range?.to, buckets],
  );
  const data = state.status === 'ok' ? state.data : undefined;
  return (
    <figure className="chart-card" aria-label={`Chart of ${metricKey}`}>
      <figcaption className="chart-title">
        <span className="chart-key">{metricKey}</span>
        <ChartSummary data={data} zoomed={range !== undefined} onReset={reset} />
      </figcaption>
      <div ref={box} className="chart-box" style={{ height: HEIGHT }}>
        {state.status === 'error' ? (
          <ErrorMessage error={state.error} action="Could not load the metric" />
        ) : null}
        {data === undefined ? null : (
          <Plot data={data} width={width} smoothing={smoothing} onZoom={zoomTo} onReset={reset} />
        )}
        {state.status === 'loading' ? (
          <div className="chart-loading" role="status">
            Loading {metricKey}…
          </div>
        ) : null}
      </div>
    </figure>
  );
}

function ChartSummary(props: {
  data: MetricBuckets | undefined;
  zoomed: boolean;
  onReset(): void;
}): ReactNode {
  const { data, zoomed, onReset } = props;
  const extremes = data === undefined ? undefined : extremesOf(data.buckets);
  return (
    <span className="chart-summary">
      {data === undefined ? null : (
        <span>
          {data.total.toLocaleString()} point{data.total === 1 ? '' : 's'}
          {data.downsampled ? ` in ${data.buckets.length.toLocaleString()} buckets` : ''}
          {extremes === undefined
            ? ''
            : ` · min ${formatNumber(extremes.min)} · max ${formatNumber(extremes.max)}`}
        </span>
      )}
      {zoomed ? (
        <button type="button" className="link-button" onClick={onReset}>
          Reset zoom
        </button>
      ) : null}
    </span>
  );
}

interface PlotProps {
  data: MetricBuckets;
  width: number;
  smoothing: number;
  onZoom(range: AxisRange): void;
  onReset(): void;
}

/** The uPlot canvas; rebuilt when the data or smoothing changes, resized in place. */
function Plot({ data, width, smoothing, onZoom, onReset }: PlotProps): ReactNode {
  const target = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [drawn, setDrawn] = useState(false);
  const columns = useMemo(() => {
    const series = seriesOf(data.buckets, data.axis);
    return smoothing > 0 ? [series.x, series.y, smooth(series.y, smoothing)] : [series.x, series.y];
  }, [data, smoothing]);
  const handlers = useRef({ onZoom, onReset });
  useEffect(() => {
    handlers.current = { onZoom, onReset };
  });

  useEffect(() => {
    const element = target.current;
    if (element === null) return;
    setDrawn(false);
    const options = plotOptions(data, smoothing > 0, Math.max(width, 200), {
      zoom: (range) => handlers.current.onZoom(range),
      reset: () => handlers.current.onReset(),
      drawn: () => setDrawn(true),
    });
    const u = new uPlot(options, columns as uPlot.AlignedData, element);
    plot.current = u;
    return () => {
      u.destroy();
      plot.current = null;
    };
    // Width changes resize the existing plot below instead of rebuilding it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [columns, data, smoothing]);

  useEffect(() => {
    if (width > 0) plot.current?.setSize({ width, height: HEIGHT - 10 });
  }, [width]);

  const points = columns[0]?.length ?? 0;
  return (
    <div
      ref={target}
      className="plot"
      data-state={drawn ? 'ready' : 'drawing'}
      data-points={points}
      onDoubleClick={() => handlers.current.onReset()}
    />
  );
}

interface PlotCallbacks {
  zoom(range: AxisRange): void;
  reset(): void;
  drawn(): void;
}

/** Up to this many points, each is drawn as a dot too: a line alone hides a short history. */
const DOTS_UP_TO = 200;

function plotOptions(
  data: MetricBuckets,
  smoothed: boolean,
  width: number,
  on: PlotCallbacks,
): uPlot.Options {
  const axis = data.axis;
  const points = { show: data.total <= DOTS_UP_TO, size: 5 };
  const raw: uPlot.Series = smoothed
    ? { label: 'raw', stroke: 'rgba(37, 99, 235, 0.35)', width: 1, points }
    : { label: 'value', stroke: RAW_COLOR, width: 1.5, points };
  return {
    width,
    height: HEIGHT - 10,
    scales: { x: { time: axis === 'time' } },
    series: [
      { label: axis === 'step' ? 'step' : 'time' },
      raw,
      ...(smoothed ? [{ label: 'smoothed', stroke: SMOOTH_COLOR, width: 1.5, points: { show: false } }] : []),
    ],
    axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((t) => formatNumber(t)) }],
    // The data is redrawn from the server on zoom, so the plot must not zoom itself first.
    cursor: { drag: { x: true, y: false, setScale: false } },
    legend: { show: true, live: true },
    hooks: {
      setSelect: [
        (u) => {
          const { left, width: span } = u.select;
          if (span < 2) return;
          const from = u.posToVal(left, 'x');
          const to = u.posToVal(left + span, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          on.zoom({ from: Math.floor(axisValueOf(from, axis)), to: Math.ceil(axisValueOf(to, axis)) });
        },
      ],
      draw: [() => on.drawn()],
    },
  };
}

/** Calls `set` with the element's width once observed and whenever it changes; returns the cleanup. */
export function observeWidth(
  element: HTMLElement | null,
  set: (width: number) => void,
): (() => void) | undefined {
  if (element === null) return undefined;
  // A ResizeObserver reports the size it finds when observing starts, so the first width comes too.
  const observer = new ResizeObserver(([entry]) => {
    if (entry !== undefined) set(Math.floor(entry.contentRect.width));
  });
  observer.observe(element);
  return () => observer.disconnect();
}

/** A promise that never settles: the chart waits for its width before asking for buckets. */
function pending(): Promise<MetricBuckets> {
  return new Promise(() => undefined);
}
