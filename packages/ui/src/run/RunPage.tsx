/**
 * A run at `/runs/:runId`: its metadata, a chart per metric (x axis and smoothing shared by all and
 * kept in the URL), its params and its tags, and its artifacts with a preview of the chosen file.
 */
import type { ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { MetricAxis, Run, StringMap } from '@slipway/contracts';
import { client } from '../api.js';
import { MetricChart } from '../charts/MetricChart.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatDuration, formatNumber, formatTime } from '../format.js';
import { useAsync } from '../use-async.js';
import { ArtifactsBrowser } from './ArtifactsBrowser.js';

/** Tags MLflow and Slipway set themselves: shown apart from the user's own. */
const SYSTEM_TAG_PREFIX = 'mlflow.';

/** The page at `/runs/:runId`. */
export function RunPage(): ReactNode {
  const { runId = '' } = useParams();
  const state = useAsync(() => client.runs.get(runId), [runId]);
  return (
    <section className="page">
      {state.status === 'loading' ? <Loading what="the run" /> : null}
      {state.status === 'error' ? <ErrorMessage error={state.error} action="Could not load the run" /> : null}
      {state.status === 'ok' ? <RunView run={state.data} /> : null}
    </section>
  );
}

function RunView({ run }: { run: Run }): ReactNode {
  const { info, data } = run;
  // Only the breadcrumb needs the experiment: the charts start loading without waiting for it.
  const experiment = useAsync(() => client.experiments.get(info.experimentId), [info.experimentId]);
  const experimentName =
    experiment.status === 'ok' ? experiment.data.name : `Experiment ${info.experimentId}`;
  return (
    <>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/experiments">Experiments</Link> <span aria-hidden="true">/</span>{' '}
        <Link to={`/experiments/${info.experimentId}`}>{experimentName}</Link>{' '}
        <span aria-hidden="true">/</span> <span>{info.runName}</span>
      </nav>
      <header className="page-header">
        <h1>{info.runName}</h1>
        <dl className="facts">
          <Fact label="Status">
            <span className={`status status-${info.status.toLowerCase()}`}>{info.status}</span>
          </Fact>
          <Fact label="Started">{formatTime(info.startTime)}</Fact>
          <Fact label="Duration">
            {info.endTime === null ? '—' : formatDuration(info.endTime - info.startTime)}
          </Fact>
          <Fact label="User">{info.userId || '—'}</Fact>
          <Fact label="Run ID">
            <code>{info.runId}</code>
          </Fact>
        </dl>
      </header>
      <Charts run={run} />
      <div className="two-columns">
        <KeyValues title="Params" values={data.params} empty="No params logged." />
        <KeyValues title="Tags" values={userTags(data.tags)} empty="No tags set." />
      </div>
      <KeyValues title="System tags" values={systemTags(data.tags)} empty="None." collapsed />
      <ArtifactsBrowser runId={info.runId} />
    </>
  );
}

function Charts({ run }: { run: Run }): ReactNode {
  const [params, setParams] = useSearchParams();
  const axis: MetricAxis = params.get('axis') === 'time' ? 'time' : 'step';
  const smoothing = clampSmoothing(Number(params.get('smoothing') ?? '0'));
  const set = (key: string, value: string, fallback: string): void => {
    const next = new URLSearchParams(params);
    if (value === fallback) next.delete(key);
    else next.set(key, value);
    setParams(next, { replace: true });
  };
  const metrics = [...run.data.metrics].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <section aria-labelledby="metrics-heading">
      <div className="section-header">
        <h2 id="metrics-heading">Metrics</h2>
        {metrics.length === 0 ? null : (
          <div className="chart-controls">
            <label>
              X axis{' '}
              <select value={axis} onChange={(e) => set('axis', e.target.value, 'step')}>
                <option value="step">Step</option>
                <option value="time">Time</option>
              </select>
            </label>
            <label>
              Smoothing{' '}
              <input
                type="range"
                min={0}
                max={0.99}
                step={0.01}
                value={smoothing}
                onChange={(e) => set('smoothing', e.target.value, '0')}
              />{' '}
              <output>{smoothing.toFixed(2)}</output>
            </label>
            <span className="subtle">Drag across a chart to zoom, double-click to reset.</span>
          </div>
        )}
      </div>
      {metrics.length === 0 ? (
        <Empty>
          <p>No metrics logged to this run.</p>
        </Empty>
      ) : (
        <>
          <table className="data-table latest-metrics">
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col">Latest value</th>
                <th scope="col">Step</th>
              </tr>
            </thead>
            <tbody>
              {metrics.map((m) => (
                <tr key={m.key}>
                  <td>{m.key}</td>
                  <td className="num">{formatNumber(m.value)}</td>
                  <td className="num">{m.step}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="chart-grid">
            {metrics.map((m) => (
              <MetricChart
                key={m.key}
                runId={run.info.runId}
                metricKey={m.key}
                axis={axis}
                smoothing={smoothing}
              />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function KeyValues(props: {
  title: string;
  values: StringMap;
  empty: string;
  collapsed?: boolean;
}): ReactNode {
  const entries = Object.entries(props.values).sort(([a], [b]) => a.localeCompare(b));
  const body =
    entries.length === 0 ? (
      <p className="subtle">{props.empty}</p>
    ) : (
      <table className="data-table key-values">
        <tbody>
          {entries.map(([key, value]) => (
            <tr key={key}>
              <th scope="row">{key}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  if (props.collapsed) {
    return (
      <details className="key-values-section">
        <summary>
          {props.title} ({entries.length})
        </summary>
        {body}
      </details>
    );
  }
  return (
    <section className="key-values-section" aria-label={props.title}>
      <h2>{props.title}</h2>
      {body}
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }): ReactNode {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function userTags(tags: StringMap): StringMap {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith(SYSTEM_TAG_PREFIX)));
}

function systemTags(tags: StringMap): StringMap {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => k.startsWith(SYSTEM_TAG_PREFIX)));
}

function clampSmoothing(value: number): number {
  return Number.isFinite(value) ? Math.min(0.99, Math.max(0, value)) : 0;
}
