/**
 * One column of a monitor at `/endpoints/:name/monitoring/columns/:column?monitor=m&run=r`: the
 * reference and current histograms from the run's drift evidence, the drift statistic and its
 * p-value over the monitor's runs, and the column's data-quality checks in that run.
 */
import { useMemo, type ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { Monitor, MonitorRun, MonitorStatistic } from '@slipway/contracts';
import type { MonitorSeriesPoint } from '@slipway/sdk';
import { client } from '../api.js';
import { TimeChart, type TimeSeriesLine } from '../charts/TimeChart.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatNumber, formatTime } from '../format.js';
import { useAsync } from '../use-async.js';
import { Histogram } from './Histogram.js';
import { StatisticTable } from './StatisticTable.js';
import { histogramPair, isColumnDrift, type HistogramPair } from './drift-view.js';
import { columnPath, monitoringPath } from './paths.js';
import './monitoring.css';

/** Runs the page looks back over. */
const RUNS = 50;

interface ColumnData {
  monitor: Monitor;
  runs: MonitorRun[];
  /** The run shown: the one asked for, else the newest that compared the column. */
  run: MonitorRun | undefined;
}

/** The page at `/endpoints/:name/monitoring/columns/:column`. */
export function ColumnPage(): ReactNode {
  const { name = '', column = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const monitorKey = params.get('monitor');
  const runId = params.get('run');
  const state = useAsync(
    () => loadColumn(name, column, monitorKey, runId),
    [name, column, monitorKey, runId],
  );
  return (
    <section className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/endpoints">Endpoints</Link> /{' '}
        <Link to={`/endpoints/${encodeURIComponent(name)}`}>{name}</Link> /{' '}
        <Link to={monitoringPath(name, monitorKey ?? undefined)}>Monitoring</Link> /
      </nav>
      <header className="page-header">
        <h1>
          Column <code className="heading-code">{column}</code>
        </h1>
      </header>
      {state.status === 'loading' ? <Loading what="the column" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not load the column" />
      ) : null}
      {state.status === 'ok' ? (
        <ColumnView
          data={state.data}
          column={column}
          onRun={(id) => {
            const next = new URLSearchParams(params);
            next.set('monitor', state.data.monitor.name);
            next.set('run', id);
            setParams(next, { replace: true });
          }}
        />
      ) : null}
    </section>
  );
}

async function loadColumn(
  endpoint: string,
  column: string,
  monitorKey: string | null,
  runId: string | null,
): Promise<ColumnData> {
  const monitor =
    monitorKey === null
      ? (await client.monitors.list({ endpoint }))[0]
      : await client.monitors.get(monitorKey);
  if (monitor === undefined) throw new Error(`No monitor watches the endpoint ${endpoint}.`);
  const runs = await client.monitors.runs(monitor.id, { limit: RUNS });
  const compares = (r: MonitorRun): boolean =>
    r.statistics.some((s) => isColumnDrift(s) && s.column === column);
  const run =
    runId === null
      ? runs.find((r) => r.state === 'succeeded' && compares(r))
      : (runs.find((r) => r.id === runId) ?? (await client.monitors.getRun(runId)));
  return { monitor, runs, run };
}

function ColumnView({
  data,
  column,
  onRun,
}: {
  data: ColumnData;
  column: string;
  onRun(id: string): void;
}): ReactNode {
  const { monitor, runs, run } = data;
  const drift = run?.statistics.find((s) => isColumnDrift(s) && s.column === column);
  const comparing = runs.filter((r) => r.statistics.some((s) => isColumnDrift(s) && s.column === column));
  if (run === undefined || drift === undefined) {
    return (
      <Empty>
        <p>
          No run of <code>{monitor.name}</code> compared <code>{column}</code>
          {run === undefined ? '' : ` in the run of ${formatTime(run.to)}`}. Back to the{' '}
          <Link to={monitoringPath(monitor.endpoint, monitor.name)}>drift overview</Link>.
        </p>
      </Empty>
    );
  }
  const quality = run.statistics.filter((s) => s.check === 'data_quality' && s.column === column);
  return (
    <>
      <div className="toolbar">
        <label htmlFor="run-choice">Run</label>
        <select id="run-choice" value={run.id} onChange={(e) => onRun(e.target.value)}>
          {(comparing.some((r) => r.id === run.id) ? comparing : [run, ...comparing]).map((r) => (
            <option key={r.id} value={r.id}>
              {formatTime(r.to)} ({r.rows?.toLocaleString() ?? 0} rows)
            </option>
          ))}
        </select>
        <span className="subtle">
          monitor <Link to={monitoringPath(monitor.endpoint, monitor.name)}>{monitor.name}</Link>, window{' '}
          {formatTime(run.from)} – {formatTime(run.to)}
        </span>
      </div>
      <DriftVerdict statistic={drift} />
      <Histograms column={column} pair={histogramPair(drift.details)} />
      <StatisticOverTime monitor={monitor} column={column} statistic={drift} runs={runs} />
      <section aria-labelledby="column-quality-heading">
        <h2 id="column-quality-heading">Data quality in this run</h2>
        {quality.length === 0 ? (
          <Empty>
            <p>The monitor has no data-quality check, or it gave nothing for this column.</p>
          </Empty>
        ) : (
          <StatisticTable statistics={quality} />
        )}
      </section>
      <p className="subtle">
        Other columns: see the <Link to={monitoringPath(monitor.endpoint, monitor.name)}>drift overview</Link>
        , or the newest run of this column <Link to={columnPath(monitor, column)}>here</Link>.
      </p>
    </>
  );
}

function DriftVerdict({ statistic }: { statistic: MonitorStatistic }): ReactNode {
  const p = statistic.details?.['pValue'];
  return (
    <p
      className={statistic.flagged ? 'drift-verdict drift-verdict-bad' : 'drift-verdict'}
      data-flagged={statistic.flagged}
    >
      <strong>{statistic.flagged ? 'Drifted' : 'No drift'}</strong>: {statistic.name} ={' '}
      {formatNumber(statistic.value)}
      {typeof p === 'number' ? `, p-value ${formatNumber(p)}` : ''}
      {statistic.threshold === undefined
        ? ''
        : `, threshold ${formatNumber(statistic.threshold)}${typeof p === 'number' ? ' (on the p-value)' : ''}`}
    </p>
  );
}

function Histograms({ column, pair }: { column: string; pair: HistogramPair | undefined }): ReactNode {
  if (pair === undefined) {
    return (
      <Empty>
        <p>This statistic carries no histograms.</p>
      </Empty>
    );
  }
  const maxShare = Math.max(0, ...pair.bins.map((b) => Math.max(b.reference, b.current)));
  return (
    <section aria-labelledby="histograms-heading">
      <h2 id="histograms-heading">Reference vs current</h2>
      <p className="subtle">
        {pair.kind === 'numeric'
          ? "Counts on the reference's bins (its quantiles, drawn equally wide), with an open bin below and above its range; both charts share the y scale."
          : 'The categories with the most values on both sides; both charts share the y scale.'}
      </p>
      <div className="histogram-pair">
        <Histogram
          title={`Reference histogram of ${column}`}
          side="reference"
          bins={pair.bins}
          total={pair.referenceTotal}
          maxShare={maxShare}
        />
        <Histogram
          title={`Current histogram of ${column}`}
          side="current"
          bins={pair.bins}
          total={pair.currentTotal}
          maxShare={maxShare}
        />
      </div>
    </section>
  );
}

function StatisticOverTime(props: {
  monitor: Monitor;
  column: string;
  statistic: MonitorStatistic;
  runs: readonly MonitorRun[];
}): ReactNode {
  const { monitor, column, statistic, runs } = props;
  const series = useAsync(
    () => client.monitors.series(monitor.id, { name: statistic.name, column, check: 'drift' }),
    [monitor.id, statistic.name, column],
  );
  const pValues = useMemo(() => pValueSeries(runs, column), [runs, column]);
  const valueChart = useMemo(
    () => (series.status === 'ok' ? valueLines(series.data, statistic) : undefined),
    [series, statistic],
  );
  return (
    <section aria-labelledby="over-time-heading">
      <h2 id="over-time-heading">Over time</h2>
      {series.status === 'loading' ? <Loading what="the series" /> : null}
      {series.status === 'error' ? (
        <ErrorMessage error={series.error} action="Could not load the series" />
      ) : null}
      <div className="ops-chart-grid ops-chart-grid-2">
        {valueChart === undefined ? null : (
          <TimeChart
            title={`${statistic.name} of ${column}`}
            x={valueChart.x}
            lines={valueChart.lines}
            summary={`${valueChart.x.length} run${valueChart.x.length === 1 ? '' : 's'}`}
          />
        )}
        {pValues.x.length === 0 ? null : (
          <TimeChart
            title={`p-value of ${column}`}
            x={pValues.x}
            lines={pValues.lines}
            summary="threshold dashed"
          />
        )}
      </div>
    </section>
  );
}

/** The statistic per run, with its threshold when the threshold is on the value (distances). */
function valueLines(
  points: readonly MonitorSeriesPoint[],
  statistic: MonitorStatistic,
): { x: number[]; lines: TimeSeriesLine[] } {
  const x = points.map((p) => p.at / 1000);
  const lines: TimeSeriesLine[] = [
    { label: statistic.name, color: '#2563eb', values: points.map((p) => p.value) },
  ];
  const onValue = statistic.details?.['kind'] === 'distance' && statistic.threshold !== undefined;
  if (onValue)
    lines.push({
      label: 'threshold',
      color: '#b91c1c',
      values: x.map(() => statistic.threshold!),
      dashed: true,
    });
  return { x, lines };
}

/** The column's p-value per succeeded run, oldest first, with the threshold it is judged against. */
function pValueSeries(runs: readonly MonitorRun[], column: string): { x: number[]; lines: TimeSeriesLine[] } {
  const x: number[] = [];
  const values: number[] = [];
  const thresholds: (number | null)[] = [];
  for (const run of [...runs].reverse()) {
    const s = run.statistics.find((t) => isColumnDrift(t) && t.column === column);
    const p = s?.details?.['pValue'];
    if (run.state !== 'succeeded' || typeof p !== 'number') continue;
    x.push(run.to / 1000);
    values.push(p);
    thresholds.push(s?.threshold ?? null);
  }
  return {
    x,
    lines: [
      { label: 'p-value', color: '#7c3aed', values },
      { label: 'threshold', color: '#b91c1c', values: thresholds, dashed: true },
    ],
  };
}
