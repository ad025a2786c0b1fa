/**
 * An endpoint at `/endpoints/:name?range=1h&labelled=true`: traffic over the window (requests/s,
 * errors, latency quantiles), the canary/shadow split as configured and as served, how the shadows
 * agree with the live answers, and the newest predictions with their labels.
 */
import { useMemo, useState, type ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { TRAFFIC_ARMS, type Endpoint, type LoggedPrediction, type TrafficArm } from '@slipway/contracts';
import { client } from '../api.js';
import { TimeChart, type TimeSeriesLine } from '../charts/TimeChart.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatDuration, formatNumber, formatTime } from '../format.js';
import { useAsync } from '../use-async.js';
import {
  TIME_RANGES,
  rowSummary,
  shadowAgreement,
  timeRangeOf,
  trafficSeries,
  valueText,
  versionShares,
  versionText,
  windowOf,
  type TimeRange,
} from './traffic.js';
import './endpoints.css';

/** Newest predictions the table shows. */
const RECENT = 50;
/** Predictions per arm the agreement is computed over. */
const AGREEMENT_SAMPLE = 500;

/** The page at `/endpoints/:name`. */
export function EndpointPage(): ReactNode {
  const name = useParams()['name'] ?? '';
  const [params, setParams] = useSearchParams();
  const range = timeRangeOf(params.get('range'));
  // The window ends at the time of the last refresh, so re-renders do not move it.
  const [now, setNow] = useState(() => Date.now());
  const span = windowOf(range, now);
  const endpoint = useAsync(() => client.endpoints.get(name), [name]);
  const setParam = (key: string, value: string | undefined): void => {
    const next = new URLSearchParams(params);
    if (value === undefined) next.delete(key);
    else next.set(key, value);
    setParams(next, { replace: true });
  };
  return (
    <section className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/endpoints">Endpoints</Link> /
      </nav>
      <header className="page-header ops-page-header">
        <h1>{name}</h1>
        <Link to={`/endpoints/${encodeURIComponent(name)}/monitoring`}>Monitoring</Link>
      </header>
      {endpoint.status === 'loading' ? <Loading what="the endpoint" /> : null}
      {endpoint.status === 'error' ? (
        <ErrorMessage error={endpoint.error} action="Could not load the endpoint" />
      ) : null}
      {endpoint.status === 'ok' ? (
        <>
          <EndpointFacts endpoint={endpoint.data} />
          <div className="toolbar">
            <label htmlFor="range">Window</label>
            <select id="range" value={range.key} onChange={(e) => setParam('range', e.target.value)}>
              {TIME_RANGES.map((r) => (
                <option key={r.key} value={r.key}>
                  {r.label}
                </option>
              ))}
            </select>
            <button type="button" onClick={() => setNow(Date.now())}>
              Refresh
            </button>
            <span className="subtle">
              {formatTime(span.from)} – {formatTime(span.to)}, buckets of {range.bucketLabel}
            </span>
          </div>
          <Traffic name={name} range={range} span={span} />
          <Split endpoint={endpoint.data} span={span} bucketMs={range.bucketMs} />
          {endpoint.data.shadows !== undefined && endpoint.data.shadows.length > 0 ? (
            <Agreement name={name} span={span} />
          ) : null}
          <RecentPredictions
            name={name}
            now={now}
            arm={armOf(params.get('arm'))}
            onArm={(arm) => setParam('arm', arm)}
            labelledOnly={params.get('labelled') === 'true'}
            onLabelledOnly={(on) => setParam('labelled', on ? 'true' : undefined)}
          />
        </>
      ) : null}
    </section>
  );
}

function EndpointFacts({ endpoint }: { endpoint: Endpoint }): ReactNode {
  return (
    <dl className="facts">
      <div className="fact">
        <dt>Serves</dt>
        <dd>{versionText(endpoint.model)}</dd>
      </div>
      <div className="fact">
        <dt>Canary</dt>
        <dd>
          {endpoint.canary === undefined
            ? 'none'
            : `${versionText(endpoint.canary.model)}, ${endpoint.canary.percent}%`}
        </dd>
      </div>
      <div className="fact">
        <dt>Shadows</dt>
        <dd>{endpoint.shadows?.length ? endpoint.shadows.map(versionText).join(', ') : 'none'}</dd>
      </div>
      <div className="fact">
        <dt>Revision</dt>
        <dd>{endpoint.revision}</dd>
      </div>
      <div className="fact">
        <dt>Updated</dt>
        <dd>{formatTime(endpoint.updatedAt)}</dd>
      </div>
    </dl>
  );
}

interface WindowProps {
  name: string;
  range: TimeRange;
  span: { from: number; to: number };
}

function Traffic({ name, range, span }: WindowProps): ReactNode {
  const state = useAsync(
    () => client.predictions.aggregate(name, { ...span, bucket: range.bucketMs, groupBy: ['arm'] }),
    [name, span.from, span.to, range.bucketMs],
  );
  const series = useMemo(
    () => (state.status === 'ok' ? trafficSeries(state.data, span, range.bucketMs) : undefined),
    // The window is a fresh object each render; its bounds are what matter.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [state, span.from, span.to, range.bucketMs],
  );
  const lines = useMemo(() => (series === undefined ? undefined : trafficLines(series)), [series]);
  return (
    <section aria-labelledby="traffic-heading">
      <h2 id="traffic-heading">Traffic</h2>
      {state.status === 'loading' ? <Loading what="traffic" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not load the traffic" />
      ) : null}
      {series !== undefined && lines !== undefined ? (
        <>
          <p className="subtle traffic-totals" data-served={series.served} data-failed={series.failed}>
            {series.served.toLocaleString()} prediction{series.served === 1 ? '' : 's'} served,{' '}
            {series.failed.toLocaleString()} failed request{series.failed === 1 ? '' : 's'} in the window.
          </p>
          <div className="ops-chart-grid">
            <TimeChart
              title="Requests per second"
              x={series.x}
              lines={lines.rate}
              summary="rows served / s, live and canary"
            />
            <TimeChart
              title="Errors"
              x={series.x}
              lines={lines.errors}
              summary="failed requests per bucket"
            />
            <TimeChart
              title="Latency"
              x={series.x}
              lines={lines.latency}
              formatY={ms}
              summary="model latency of the live arm"
            />
          </div>
        </>
      ) : null}
    </section>
  );
}

function ms(value: number): string {
  return `${formatNumber(value)} ms`;
}

function trafficLines(
  s: ReturnType<typeof trafficSeries>,
): Record<'rate' | 'errors' | 'latency', TimeSeriesLine[]> {
  return {
    rate: [{ label: 'requests/s', color: '#2563eb', values: s.requestsPerSecond }],
    errors: [{ label: 'errors', color: '#b91c1c', values: s.errors }],
    latency: [
      { label: 'p50', color: '#15803d', values: s.latencyP50 },
      { label: 'p95', color: '#c2410c', values: s.latencyP95 },
      { label: 'p99', color: '#7c3aed', values: s.latencyP99 },
      ...(s.canaryP99 === undefined ? [] : [{ label: 'canary p99', color: '#a16207', values: s.canaryP99 }]),
    ],
  };
}

function Split(props: {
  endpoint: Endpoint;
  span: { from: number; to: number };
  bucketMs: number;
}): ReactNode {
  const { endpoint, span, bucketMs } = props;
  const state = useAsync(
    () =>
      client.predictions.aggregate(endpoint.name, {
        ...span,
        bucket: bucketMs,
        groupBy: ['modelVersion', 'arm'],
      }),
    [endpoint.name, span.from, span.to, bucketMs],
  );
  const canary = endpoint.canary?.percent ?? 0;
  const configured = [
    { arm: 'live', model: versionText(endpoint.model), weight: `${100 - canary}%` },
    ...(endpoint.canary === undefined
      ? []
      : [{ arm: 'canary', model: versionText(endpoint.canary.model), weight: `${canary}%` }]),
    ...(endpoint.shadows ?? []).map((s) => ({
      arm: 'shadow',
      model: versionText(s),
      weight: 'mirrors 100%',
    })),
  ];
  return (
    <section aria-labelledby="split-heading">
      <h2 id="split-heading">Canary and shadow split</h2>
      <div className="two-columns">
        <table className="data-table split-config">
          <caption>Configured routes</caption>
          <thead>
            <tr>
              <th scope="col">Arm</th>
              <th scope="col">Model</th>
              <th scope="col">Traffic</th>
            </tr>
          </thead>
          <tbody>
            {configured.map((r) => (
              <tr key={`${r.arm}-${r.model}`}>
                <td>
                  <span className={`arm arm-${r.arm}`}>{r.arm}</span>
                </td>
                <td>{r.model}</td>
                <td className="num">{r.weight}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div>
          {state.status === 'loading' ? <Loading what="the split" /> : null}
          {state.status === 'error' ? (
            <ErrorMessage error={state.error} action="Could not load the split" />
          ) : null}
          {state.status === 'ok' ? <ServedSplit shares={versionShares(state.data)} /> : null}
        </div>
      </div>
    </section>
  );
}

function ServedSplit({ shares }: { shares: ReturnType<typeof versionShares> }): ReactNode {
  if (shares.length === 0) {
    return (
      <Empty>
        <p>No predictions in the window.</p>
      </Empty>
    );
  }
  return (
    <table className="data-table split-served">
      <caption>Served in the window</caption>
      <thead>
        <tr>
          <th scope="col">Arm</th>
          <th scope="col">Version</th>
          <th scope="col" className="num">
            Predictions
          </th>
          <th scope="col" className="num">
            Errors
          </th>
          <th scope="col">Share</th>
        </tr>
      </thead>
      <tbody>
        {shares.map((s) => (
          <tr key={`${s.arm}-${s.modelVersion}`}>
            <td>
              <span className={`arm arm-${s.arm}`}>{s.arm}</span>
            </td>
            <td>v{s.modelVersion}</td>
            <td className="num">{s.count.toLocaleString()}</td>
            <td className="num">{s.errors.toLocaleString()}</td>
            <td>
              <span className="share-bar" aria-hidden="true">
                <span style={{ width: `${Math.min(100, s.share * 100)}%` }} />
              </span>{' '}
              {percent(s.share)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function percent(share: number): string {
  return `${formatNumber(Math.round(share * 1000) / 10)}%`;
}

function Agreement({ name, span }: { name: string; span: { from: number; to: number } }): ReactNode {
  const state = useAsync(async () => {
    const page = (arm: 'live' | 'canary' | 'shadow'): Promise<LoggedPrediction[]> =>
      client.predictions
        .query(name, { ...span, arm, status: 'ok', limit: AGREEMENT_SAMPLE })
        .then((p) => p.predictions);
    const [live, canary, shadow] = await Promise.all([page('live'), page('canary'), page('shadow')]);
    return shadowAgreement([...live, ...canary], shadow);
  }, [name, span.from, span.to]);
  return (
    <section aria-labelledby="agreement-heading">
      <h2 id="agreement-heading">Live vs shadow agreement</h2>
      <p className="subtle">
        Each shadow prediction against the answer its request got, over the newest {AGREEMENT_SAMPLE} of each
        arm in the window. Numbers agree up to a relative 10⁻⁶.
      </p>
      {state.status === 'loading' ? <Loading what="the agreement" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not compare the shadows" />
      ) : null}
      {state.status === 'ok' && state.data.length === 0 ? (
        <Empty>
          <p>No shadow predictions in the window.</p>
        </Empty>
      ) : null}
      {state.status === 'ok' && state.data.length > 0 ? (
        <table className="data-table agreement-table">
          <thead>
            <tr>
              <th scope="col">Shadow version</th>
              <th scope="col" className="num">
                Pairs
              </th>
              <th scope="col" className="num">
                Agree on every field
              </th>
              <th scope="col">By field</th>
            </tr>
          </thead>
          <tbody>
            {state.data.map((a) => (
              <tr key={a.modelVersion}>
                <td>v{a.modelVersion}</td>
                <td className="num">{a.pairs.toLocaleString()}</td>
                <td className="num agreement-share">{percent(a.pairs === 0 ? 0 : a.agreed / a.pairs)}</td>
                <td>
                  {a.fields.map((f) => (
                    <span key={f.field} className="tag">
                      {f.field}: {percent(f.compared === 0 ? 0 : f.agreed / f.compared)}
                      {f.meanAbsDiff === undefined ? '' : `, mean |Δ| ${formatNumber(f.meanAbsDiff)}`}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** The arm in `?arm=`, or undefined for every arm. */
function armOf(value: string | null): TrafficArm | undefined {
  return TRAFFIC_ARMS.find((arm) => arm === value);
}

function RecentPredictions(props: {
  name: string;
  now: number;
  arm: TrafficArm | undefined;
  onArm(arm: TrafficArm | undefined): void;
  labelledOnly: boolean;
  onLabelledOnly(on: boolean): void;
}): ReactNode {
  const { name, now, arm, onArm, labelledOnly, onLabelledOnly } = props;
  const state = useAsync(
    () =>
      client.predictions
        .query(name, {
          limit: RECENT,
          ...(arm === undefined ? {} : { arm }),
          ...(labelledOnly ? { labelled: true } : {}),
        })
        .then((p) => p.predictions),
    [name, now, arm, labelledOnly],
  );
  return (
    <section aria-labelledby="recent-heading">
      <div className="section-header">
        <h2 id="recent-heading">Recent predictions</h2>
        <label>
          Arm{' '}
          <select value={arm ?? ''} onChange={(e) => onArm(armOf(e.target.value))}>
            <option value="">all</option>
            {TRAFFIC_ARMS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={labelledOnly} onChange={(e) => onLabelledOnly(e.target.checked)} />{' '}
          Only labelled
        </label>
      </div>
      {state.status === 'loading' ? <Loading what="predictions" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not load the predictions" />
      ) : null}
      {state.status === 'ok' && state.data.length === 0 ? (
        <Empty>
          <p>
            {labelledOnly
              ? 'No labelled predictions yet.'
              : 'No predictions yet: send traffic to the endpoint.'}
          </p>
        </Empty>
      ) : null}
      {state.status === 'ok' && state.data.length > 0 ? <PredictionTable predictions={state.data} /> : null}
    </section>
  );
}

function PredictionTable({ predictions }: { predictions: readonly LoggedPrediction[] }): ReactNode {
  return (
    <div className="predictions-scroll">
      <table className="data-table predictions-table">
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Time</th>
            <th scope="col">Version</th>
            <th scope="col">Inputs</th>
            <th scope="col">Output</th>
            <th scope="col">Label</th>
          </tr>
        </thead>
        <tbody>
          {predictions.map((p) => (
            <tr key={p.predictionId} className={p.error === undefined ? undefined : 'prediction-failed'}>
              <td className="mono" title={p.predictionId}>
                {p.predictionId.slice(0, 12)}
              </td>
              <td>{formatTime(p.timestamp)}</td>
              <td>
                v{p.modelVersion} <span className={`arm arm-${p.arm}`}>{p.arm}</span>
              </td>
              <td className="mono" title={JSON.stringify(p.input)}>
                {rowSummary(p.input)}
              </td>
              <td className="mono">
                {p.error === undefined ? rowSummary(p.output, 48) : `${p.error.code}: ${p.error.message}`}
              </td>
              <td className="prediction-label">
                {p.label === undefined ? (
                  <span className="subtle">—</span>
                ) : (
                  <>
                    <strong>{valueText(p.label.value)}</strong>{' '}
                    <span className="subtle">after {formatDuration(p.label.delayMs)}</span>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
