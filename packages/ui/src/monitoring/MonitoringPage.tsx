/**
 * An endpoint's monitoring at `/endpoints/:name/monitoring?monitor=m&figure=pValue&range=24h`: the
 * drift heat map of the chosen monitor's runs, the latest run's data-quality and service checks,
 * realized performance over time against the reference evaluation, and the monitor's alerts with
 * their evidence (each drift statistic links to its column page).
 */
import { useMemo, useState, type ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { Alert, Monitor, MonitorRun, MonitorStatistic } from '@slipway/contracts';
import { client } from '../api.js';
import { TimeChart, type TimeSeriesLine } from '../charts/TimeChart.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatNumber, formatTime } from '../format.js';
import { useAsync } from '../use-async.js';
import { TIME_RANGES, timeRangeOf, windowOf } from '../endpoints/traffic.js';
import { DriftHeatMap } from './DriftHeatMap.js';
import {
  HEAT_FIGURES,
  heatFigureOf,
  heatMap,
  driftColumnsOf,
  latestSucceeded,
  realizedSeries,
  statisticsOf,
  type HeatFigure,
  type RealizedSeries,
} from './drift-view.js';
import { columnPath } from './paths.js';
import { StatisticTable } from './StatisticTable.js';
import './monitoring.css';

/** Runs the heat map covers, newest first. */
const RUNS = 50;

/** The page at `/endpoints/:name/monitoring`. */
export function MonitoringPage(): ReactNode {
  const name = useParams()['name'] ?? '';
  const [params, setParams] = useSearchParams();
  const monitors = useAsync(() => client.monitors.list({ endpoint: name }), [name]);
  const chosen = params.get('monitor');
  const setParam = (key: string, value: string): void => {
    const next = new URLSearchParams(params);
    next.set(key, value);
    setParams(next, { replace: true });
  };
  const monitor =
    monitors.status === 'ok'
      ? (monitors.data.find((m) => m.name === chosen || m.id === chosen) ?? monitors.data[0])
      : undefined;
  return (
    <section className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/endpoints">Endpoints</Link> /{' '}
        <Link to={`/endpoints/${encodeURIComponent(name)}`}>{name}</Link> /
      </nav>
      <header className="page-header ops-page-header">
        <h1>Monitoring of {name}</h1>
        {monitors.status === 'ok' && monitors.data.length > 0 && monitor !== undefined ? (
          <span>
            <label htmlFor="monitor-choice">Monitor</label>{' '}
            <select
              id="monitor-choice"
              value={monitor.name}
              onChange={(e) => setParam('monitor', e.target.value)}
            >
              {monitors.data.map((m) => (
                <option key={m.id} value={m.name}>
                  {m.name}
                </option>
              ))}
            </select>
          </span>
        ) : null}
      </header>
      {monitors.status === 'loading' ? <Loading what="monitors" /> : null}
      {monitors.status === 'error' ? (
        <ErrorMessage error={monitors.error} action="Could not list the monitors" />
      ) : null}
      {monitors.status === 'ok' && monitor === undefined ? (
        <Empty>
          <p>
            No monitor watches <code>{name}</code> yet. Create one with <code>slipway monitors create</code>{' '}
            or <code>client.monitors.create</code>.
          </p>
        </Empty>
      ) : null}
      {monitor === undefined ? null : (
        <MonitorView
          key={monitor.id}
          monitor={monitor}
          figure={heatFigureOf(params.get('figure'))}
          onFigure={(f) => setParam('figure', f)}
          rangeKey={params.get('range') ?? '24h'}
          onRange={(r) => setParam('range', r)}
        />
      )}
    </section>
  );
}

interface MonitorData {
  runs: MonitorRun[];
  alerts: Alert[];
}

function MonitorView(props: {
  monitor: Monitor;
  figure: HeatFigure;
  onFigure(figure: HeatFigure): void;
  rangeKey: string;
  onRange(key: string): void;
}): ReactNode {
  const { monitor, figure, onFigure, rangeKey, onRange } = props;
  const state = useAsync(async (): Promise<MonitorData> => {
    const [runs, alerts] = await Promise.all([
      client.monitors.runs(monitor.id, { limit: RUNS }),
      client.monitors.alerts({ monitor: monitor.id }),
    ]);
    return { runs, alerts };
  }, [monitor.id]);
  if (state.status === 'loading') return <Loading what="the monitor's runs" />;
  if (state.status === 'error')
    return <ErrorMessage error={state.error} action="Could not load the monitor's runs" />;
  const { runs, alerts } = state.data;
  const latest = latestSucceeded(runs);
  return (
    <>
      <MonitorFacts monitor={monitor} runs={runs} />
      <DriftOverview monitor={monitor} runs={runs} figure={figure} onFigure={onFigure} />
      <Alerts monitor={monitor} alerts={alerts} />
      <ChecksTable
        title="Data quality"
        id="quality"
        statistics={statisticsOf(latest, 'data_quality')}
        run={latest}
      />
      <ChecksTable title="Service" id="service" statistics={statisticsOf(latest, 'service')} run={latest} />
      {monitor.checks.performance === undefined ? null : (
        <Performance monitor={monitor} latest={latest} rangeKey={rangeKey} onRange={onRange} />
      )}
    </>
  );
}

function MonitorFacts({ monitor, runs }: { monitor: Monitor; runs: readonly MonitorRun[] }): ReactNode {
  const window =
    monitor.window.kind === 'rolling'
      ? `last ${formatNumber(monitor.window.durationMs / 60_000)} min`
      : `${formatTime(monitor.window.from)} – ${formatTime(monitor.window.to)}`;
  return (
    <dl className="facts">
      <div className="fact">
        <dt>Reference</dt>
        <dd>
          {monitor.reference.model} v{monitor.reference.version}
        </dd>
      </div>
      <div className="fact">
        <dt>Checks</dt>
        <dd>{Object.keys(monitor.checks).join(', ')}</dd>
      </div>
      <div className="fact">
        <dt>Window</dt>
        <dd>{window}</dd>
      </div>
      <div className="fact">
        <dt>Schedule</dt>
        <dd>
          {monitor.schedule === undefined
            ? 'on demand'
            : `every ${formatNumber(monitor.schedule.intervalMs / 1000)} s`}
        </dd>
      </div>
      <div className="fact">
        <dt>Last run</dt>
        <dd>{runs[0] === undefined ? 'never' : `${formatTime(runs[0].startedAt)} (${runs[0].state})`}</dd>
      </div>
    </dl>
  );
}

function DriftOverview(props: {
  monitor: Monitor;
  runs: readonly MonitorRun[];
  figure: HeatFigure;
  onFigure(figure: HeatFigure): void;
}): ReactNode {
  const { monitor, runs, figure, onFigure } = props;
  const map = useMemo(() => heatMap(runs, figure), [runs, figure]);
  return (
    <section aria-labelledby="drift-heading">
      <div className="section-header">
        <h2 id="drift-heading">Drift overview</h2>
        <span role="radiogroup" aria-label="Figure" className="figure-picker">
          {HEAT_FIGURES.map((f) => (
            <label key={f.key}>
              <input type="radio" name="figure" checked={figure === f.key} onChange={() => onFigure(f.key)} />{' '}
              {f.label}
            </label>
          ))}
        </span>
      </div>
      {monitor.checks.drift === undefined ? (
        <Empty>
          <p>This monitor has no drift check.</p>
        </Empty>
      ) : map.columns.length === 0 ? (
        <Empty>
          <p>
            No run has compared columns yet: run the monitor (<code>slipway monitors run {monitor.name}</code>
            ).
          </p>
        </Empty>
      ) : (
        <>
          <DriftHeatMap
            map={map}
            figure={figure}
            columnHref={(column, runId) => columnPath(monitor, column, runId)}
          />
          <p className="subtle heatmap-legend">
            <span className="legend-swatch legend-drift" /> drifted{' '}
            <span className="legend-swatch legend-ok" /> not drifted{' '}
            <span className="legend-swatch legend-none" /> not compared. The last {RUNS} runs, oldest left.
          </p>
        </>
      )}
    </section>
  );
}

function Alerts({ monitor, alerts }: { monitor: Monitor; alerts: readonly Alert[] }): ReactNode {
  return (
    <section aria-labelledby="alerts-heading">
      <h2 id="alerts-heading">Alerts</h2>
      {alerts.length === 0 ? (
        <Empty>
          <p>No alert has fired for this monitor.</p>
        </Empty>
      ) : (
        <table className="data-table alerts-table">
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">State</th>
              <th scope="col">Fired</th>
              <th scope="col">Resolved</th>
              <th scope="col">Drifted columns</th>
              <th scope="col">Evidence</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id} data-alert={a.id}>
                <td>
                  <span className={`severity severity-${a.severity}`}>{a.severity}</span>
                </td>
                <td>
                  <span className={`alert-state alert-${a.state}`}>{a.state}</span>
                </td>
                <td>{formatTime(a.firedAt)}</td>
                <td>{formatTime(a.resolvedAt) || '—'}</td>
                <td>
                  {driftColumnsOf(a).map((column) => (
                    <Link
                      key={column}
                      to={columnPath(monitor, column, a.lastRun)}
                      className="column-link"
                      aria-label={`Column ${column} of the alert`}
                    >
                      {column}
                    </Link>
                  ))}
                </td>
                <td>
                  <ul className="evidence">
                    {a.evidence.map((s, i) => (
                      <li key={i}>
                        <Evidence statistic={s} />
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Evidence({ statistic }: { statistic: MonitorStatistic }): ReactNode {
  const p = statistic.details?.['pValue'];
  return (
    <span>
      {statistic.check}/{statistic.name}
      {statistic.column === undefined ? '' : ` (${statistic.column})`} = {formatNumber(statistic.value)}
      {typeof p === 'number' ? `, p = ${formatNumber(p)}` : ''}
      {statistic.threshold === undefined ? '' : `, threshold ${formatNumber(statistic.threshold)}`}
    </span>
  );
}

/** A latest-run check table: one row per statistic. */
function ChecksTable(props: {
  title: string;
  id: string;
  statistics: readonly MonitorStatistic[];
  run: MonitorRun | undefined;
}): ReactNode {
  const { title, id, statistics, run } = props;
  if (statistics.length === 0) return null;
  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>
        {title} <span className="subtle heading-note">latest run, {formatTime(run?.to)}</span>
      </h2>
      <StatisticTable statistics={statistics} />
    </section>
  );
}

function Performance(props: {
  monitor: Monitor;
  latest: MonitorRun | undefined;
  rangeKey: string;
  onRange(key: string): void;
}): ReactNode {
  const { monitor, latest, rangeKey, onRange } = props;
  const settings = monitor.checks.performance!;
  const range = timeRangeOf(rangeKey);
  const [now] = useState(() => Date.now());
  const span = windowOf(range, now);
  const state = useAsync(
    () =>
      client.predictions.aggregate(monitor.endpoint, {
        ...span,
        bucket: range.bucketMs,
        predictionField: settings.predictionField,
        labelled: true,
      }),
    [monitor.endpoint, span.from, span.to, range.bucketMs, settings.predictionField],
  );
  const yardstick = latest?.statistics.find((s) => s.check === 'performance' && s.name === settings.metric);
  const reference = yardstick?.details?.['reference'];
  const threshold = yardstick?.threshold;
  const chart = useMemo(
    () =>
      state.status === 'ok'
        ? realizedSeries(state.data, span, range.bucketMs, settings.metric, {
            ...(typeof reference === 'number' ? { reference } : {}),
            ...(threshold === undefined ? {} : { threshold }),
          })
        : undefined,
    // The span is a fresh object each render; its bounds are what matter.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [state, span.from, span.to, range.bucketMs, settings.metric, reference, threshold],
  );
  return (
    <section aria-labelledby="performance-heading">
      <div className="section-header">
        <h2 id="performance-heading">Realized performance</h2>
        <label>
          Window{' '}
          <select value={range.key} onChange={(e) => onRange(e.target.value)}>
            {TIME_RANGES.map((r) => (
              <option key={r.key} value={r.key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {state.status === 'loading' ? <Loading what="realized performance" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not load realized performance" />
      ) : null}
      {chart !== undefined && chart.labelled === 0 ? (
        <Empty>
          <p>No labelled predictions in the window: labels join predictions as they arrive.</p>
        </Empty>
      ) : null}
      {chart !== undefined && chart.labelled > 0 ? (
        <TimeChart
          title={`${settings.metric} of ${settings.predictionField}`}
          x={chart.x}
          lines={performanceLines(chart, settings.metric)}
          summary={`${chart.labelled.toLocaleString()} labelled predictions${typeof reference === 'number' ? '' : ' · no reference evaluation: no baseline line'}`}
        />
      ) : null}
    </section>
  );
}

/** The realized metric's line, with dashed reference and threshold lines when there are such figures. */
function performanceLines(series: RealizedSeries, metric: string): TimeSeriesLine[] {
  const lines: TimeSeriesLine[] = [{ label: metric, color: '#2563eb', values: series.values }];
  if (series.reference !== undefined) {
    lines.push({ label: 'reference evaluation', color: '#15803d', values: series.reference, dashed: true });
  }
  if (series.threshold !== undefined) {
    lines.push({ label: 'alert threshold', color: '#b91c1c', values: series.threshold, dashed: true });
  }
  return lines;
}
