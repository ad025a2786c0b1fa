/**
 * The compare page at `/compare?runs=a,b,...`: 2 to 20 runs side by side, with one chart per metric
 * overlaying every run's curve, the params and latest metrics as diff tables, and a scatter of one
 * metric against one param. The axis, the diff filter and the scatter's choice live in the URL.
 */
import type { ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { MetricAxis, Run } from '@slipway/contracts';
import { client } from '../api.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatNumber } from '../format.js';
import { useAsync } from '../use-async.js';
import { CompareChart, type ComparedRun } from './CompareChart.js';
import {
  MAX_COMPARED,
  MIN_COMPARED,
  colorOf,
  metricDiff,
  metricKeysOf,
  paramDiff,
  paramKeysOf,
  parseRunIds,
  type DiffRow,
} from './compare-data.js';
import { ScatterPlot } from './ScatterPlot.js';
import './compare.css';

/** The page at `/compare`. */
export function ComparePage(): ReactNode {
  const [params] = useSearchParams();
  const ids = parseRunIds(params.get('runs'));
  const countOk = ids.length >= MIN_COMPARED && ids.length <= MAX_COMPARED;
  const key = ids.join(',');
  const state = useAsync(
    () => (countOk ? Promise.all(ids.map((id) => client.runs.get(id))) : Promise.resolve([])),
    // `key` stands for `ids`, a new array on every render.
    [key, countOk],
  );
  return (
    <section className="page compare-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/experiments">Experiments</Link> <span aria-hidden="true">/</span> <span>Compare</span>
      </nav>
      <h1>Compare runs</h1>
      {countOk ? null : (
        <Empty>
          <p>
            Pick {MIN_COMPARED} to {MAX_COMPARED} runs to compare ({ids.length} given): tick them in an
            experiment&apos;s runs table and press Compare, or link to <code>/compare?runs=id1,id2</code>.
          </p>
        </Empty>
      )}
      {countOk && state.status === 'loading' ? <Loading what={`${ids.length} runs`} /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not load the runs" />
      ) : null}
      {countOk && state.status === 'ok' ? <CompareView runs={state.data} /> : null}
    </section>
  );
}

function CompareView({ runs }: { runs: readonly Run[] }): ReactNode {
  const [params, setParams] = useSearchParams();
  const set = (key: string, value: string | undefined): void => {
    const next = new URLSearchParams(params);
    if (value === undefined) next.delete(key);
    else next.set(key, value);
    setParams(next, { replace: true });
  };
  const axis: MetricAxis = params.get('axis') === 'time' ? 'time' : 'step';
  const onlyDiffs = params.get('diff') === 'only';
  const compared = runs.map((run, index) => ({ run, index }));
  return (
    <>
      <RunLegend runs={compared} />
      <section aria-labelledby="compare-metrics-heading">
        <div className="section-header">
          <h2 id="compare-metrics-heading">Metrics</h2>
          <label>
            X axis{' '}
            <select
              value={axis}
              onChange={(e) => set('axis', e.target.value === 'time' ? 'time' : undefined)}
            >
              <option value="step">Step</option>
              <option value="time">Time</option>
            </select>
          </label>
          <span className="subtle">Drag across a chart to zoom, double-click to zoom out.</span>
        </div>
        <MetricCharts runs={compared} axis={axis} />
      </section>
      <section aria-labelledby="compare-params-heading">
        <div className="section-header">
          <h2 id="compare-params-heading">Params</h2>
          <label>
            <input
              type="checkbox"
              checked={onlyDiffs}
              onChange={(e) => set('diff', e.target.checked ? 'only' : undefined)}
            />{' '}
            Only differences
          </label>
        </div>
        <DiffTable
          label="Param diff"
          keyHeading="Param"
          runs={compared}
          rows={paramDiff(runs)}
          onlyDiffs={onlyDiffs}
          show={(v) => v}
          empty="None of these runs has params."
        />
        <h2 className="compare-subheading">Latest metrics</h2>
        <DiffTable
          label="Metric diff"
          keyHeading="Metric"
          runs={compared}
          rows={metricDiff(runs)}
          onlyDiffs={onlyDiffs}
          show={formatNumber}
          numeric
          empty="None of these runs has metrics."
        />
      </section>
      <ScatterSection runs={compared} />
    </>
  );
}

function RunLegend({ runs }: { runs: readonly ComparedRun[] }): ReactNode {
  return (
    <ol className="compare-runs" aria-label="Compared runs">
      {runs.map(({ run, index }) => (
        <li key={run.info.runId}>
          <span className="swatch" style={{ background: colorOf(index) }} aria-hidden="true" />
          <Link to={`/runs/${run.info.runId}`}>{run.info.runName || run.info.runId}</Link>{' '}
          <span className="subtle">
            <Link to={`/experiments/${run.info.experimentId}`}>experiment {run.info.experimentId}</Link> ·{' '}
            <span className={`status status-${run.info.status.toLowerCase()}`}>{run.info.status}</span>
          </span>
        </li>
      ))}
    </ol>
  );
}

function MetricCharts({ runs, axis }: { runs: readonly ComparedRun[]; axis: MetricAxis }): ReactNode {
  const keys = metricKeysOf(runs.map((r) => r.run));
  if (keys.length === 0) {
    return (
      <Empty>
        <p>None of these runs logged a metric.</p>
      </Empty>
    );
  }
  return (
    <div className="chart-grid">
      {keys.map((key) => (
        <CompareChart
          key={key}
          metricKey={key}
          axis={axis}
          runs={runs.filter((r) => r.run.data.metrics.some((m) => m.key === key))}
        />
      ))}
    </div>
  );
}

function DiffTable<T>(props: {
  label: string;
  keyHeading: string;
  runs: readonly ComparedRun[];
  rows: readonly DiffRow<T>[];
  onlyDiffs: boolean;
  show(value: T): string;
  numeric?: boolean;
  empty: string;
}): ReactNode {
  const { runs, rows, onlyDiffs, show } = props;
  const shown = onlyDiffs ? rows.filter((r) => r.differs) : rows;
  const differing = rows.filter((r) => r.differs).length;
  if (rows.length === 0) return <p className="subtle">{props.empty}</p>;
  return (
    <>
      <p className="subtle diff-count">
        {rows.length} {props.keyHeading.toLowerCase()}
        {rows.length === 1 ? '' : 's'}, {differing} differ{differing === 1 ? 's' : ''}
      </p>
      <div className="diff-scroll">
        <table className="data-table diff-table" aria-label={props.label}>
          <thead>
            <tr>
              <th scope="col">{props.keyHeading}</th>
              {runs.map(({ run, index }) => (
                <th scope="col" key={run.info.runId}>
                  <span className="swatch" style={{ background: colorOf(index) }} aria-hidden="true" />
                  {run.info.runName || run.info.runId}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={row.key} className={row.differs ? 'differs' : undefined} data-differs={row.differs}>
                <th scope="row">
                  {row.key}
                  {row.differs ? <span className="visually-hidden"> (differs)</span> : null}
                </th>
                {row.values.map((value, i) => (
                  <td key={runs[i]!.run.info.runId} className={props.numeric ? 'num' : undefined}>
                    {value === undefined ? <span className="missing">—</span> : show(value)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length === 0 ? <p className="subtle">Every run has the same values.</p> : null}
    </>
  );
}

function ScatterSection({ runs }: { runs: readonly ComparedRun[] }): ReactNode {
  const [params, setParams] = useSearchParams();
  const plain = runs.map((r) => r.run);
  const metricKeys = metricKeysOf(plain);
  const paramKeys = paramKeysOf(plain);
  const firstDiffering = paramDiff(plain).find((r) => r.differs)?.key;
  const metric = pick(params.get('metric'), metricKeys, metricKeys[0]);
  const param = pick(params.get('param'), paramKeys, firstDiffering ?? paramKeys[0]);
  const choose = (key: 'metric' | 'param', value: string): void => {
    const next = new URLSearchParams(params);
    next.set(key, value);
    setParams(next, { replace: true });
  };
  return (
    <section aria-labelledby="compare-scatter-heading">
      <div className="section-header">
        <h2 id="compare-scatter-heading">Metric against param</h2>
        {metric === undefined || param === undefined ? null : (
          <>
            <span className="labeled">
              <label htmlFor="scatter-metric">Metric</label>
              <select id="scatter-metric" value={metric} onChange={(e) => choose('metric', e.target.value)}>
                {metricKeys.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </span>
            <span className="labeled">
              <label htmlFor="scatter-param">Param</label>
              <select id="scatter-param" value={param} onChange={(e) => choose('param', e.target.value)}>
                {paramKeys.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </span>
          </>
        )}
      </div>
      {metric === undefined || param === undefined ? (
        <Empty>
          <p>A scatter needs runs with at least one metric and one param.</p>
        </Empty>
      ) : (
        <ScatterPlot runs={runs} metricKey={metric} paramKey={param} />
      )}
    </section>
  );
}

/** The URL's choice when it is one of `keys`, else the fallback. */
function pick(
  chosen: string | null,
  keys: readonly string[],
  fallback: string | undefined,
): string | undefined {
  return chosen !== null && keys.includes(chosen) ? chosen : fallback;
}
