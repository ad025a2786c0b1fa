/**
 * One stored evaluation: every model's metrics side by side with each candidate's lead over the
 * baseline, and the gate's verdict with the numbers and reasons behind it.
 */
import { Fragment, type ReactNode } from 'react';
import { Link } from 'react-router';
import type { Evaluation, GateVerdict } from '@slipway/contracts';
import { formatNumber, formatTime } from '../format.js';
import { Fact } from './Fact.js';
import { modelPath } from './paths.js';
import { describeMargin, formatDifference, metricTable } from './registry-view.js';
import './registry.css';

/** What a promotion attempt did, in words. */
const OUTCOME_LABELS = {
  promoted: 'promoted',
  refused: 'refused by the gate',
  forced: 'forced past a failing gate',
} as const;

/** The evaluation's facts, verdict and metric table. */
export function EvaluationDetail({ evaluation }: { evaluation: Evaluation }): ReactNode {
  const { promotion } = evaluation;
  return (
    <article
      className="evaluation"
      aria-label={`Evaluation ${evaluation.id}`}
      data-evaluation-id={evaluation.id}
    >
      <dl className="facts">
        <Fact label="Evaluated">{formatTime(evaluation.createdAt)}</Fact>
        <Fact label="By">{evaluation.createdBy || '—'}</Fact>
        <Fact label="Task">{evaluation.settings.task}</Fact>
        <Fact label="Dataset">
          {evaluation.dataset.rows.toLocaleString()} rows
          {evaluation.dataset.uri === undefined ? (
            ' (inline)'
          ) : (
            <code className="source-uri"> {evaluation.dataset.uri}</code>
          )}
        </Fact>
        {promotion === undefined ? null : (
          <Fact label="Promotion">
            @{promotion.alias} → v{promotion.version}: {OUTCOME_LABELS[promotion.outcome]}
          </Fact>
        )}
        {evaluation.runId === undefined ? null : (
          <Fact label="Run">
            <Link to={`/runs/${evaluation.runId}`}>{evaluation.runId.slice(0, 8)}</Link>
          </Fact>
        )}
      </dl>
      {evaluation.verdict === undefined ? (
        <p className="subtle">No gate was judged on this evaluation.</p>
      ) : (
        <VerdictView verdict={evaluation.verdict} />
      )}
      <MetricsSideBySide evaluation={evaluation} />
    </article>
  );
}

function VerdictView({ verdict }: { verdict: GateVerdict }): ReactNode {
  const better = verdict.direction === 'higher' ? 'at least' : 'at most';
  return (
    <div
      className={`gate-verdict ${verdict.passed ? 'verdict-pass' : 'verdict-fail'}`}
      data-passed={String(verdict.passed)}
    >
      <div className="verdict-head">
        <span className="verdict-badge">{verdict.passed ? 'Gate passed' : 'Gate failed'}</span>
        <span>
          <strong>{verdict.metric}</strong> ({verdict.direction} is better): candidate{' '}
          <strong>{formatNumber(verdict.candidate.value ?? undefined)}</strong> vs baseline{' '}
          <strong>{formatNumber(verdict.baseline.value ?? undefined)}</strong>, difference{' '}
          <strong>{formatDifference(verdict.difference)}</strong>
        </span>
      </div>
      <p className="verdict-numbers">
        Margin {describeMargin(verdict.margin)}
        {verdict.threshold === null ? '' : `, threshold ${formatNumber(verdict.threshold)}`}
        {verdict.required === null
          ? ''
          : `; the candidate needed ${better} ${formatNumber(verdict.required)}`}
        {verdict.differenceCi === null
          ? ''
          : `; ${Math.round(verdict.differenceCi.confidence * 100)}% CI of the difference ` +
            `[${formatDifference(verdict.differenceCi.lower)}, ${formatDifference(verdict.differenceCi.upper)}]`}
      </p>
      <ul className="verdict-reasons" aria-label="Gate reasons">
        {verdict.reasons.map((r) => (
          <li key={r} className={r.startsWith('fail') ? 'reason-fail' : 'reason-pass'}>
            {r}
          </li>
        ))}
      </ul>
      {verdict.sliceChecks.some((s) => s.checked) ? (
        <table className="data-table slice-checks">
          <caption>Slices</caption>
          <thead>
            <tr>
              <th scope="col">Slice</th>
              <th scope="col">Rows</th>
              <th scope="col">Candidate</th>
              <th scope="col">Baseline</th>
              <th scope="col">Degradation</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {verdict.sliceChecks.map((s) => (
              <tr key={`${s.column}=${s.slice}`}>
                <td>
                  {s.column} = {s.slice}
                </td>
                <td className="num">{s.rows}</td>
                <td className="num">{formatNumber(s.candidate ?? undefined)}</td>
                <td className="num">{formatNumber(s.baseline ?? undefined)}</td>
                <td className="num">{formatDifference(s.degradation)}</td>
                <td>{s.checked ? (s.passed ? 'pass' : 'fail') : 'not checked'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

function MetricsSideBySide({ evaluation }: { evaluation: Evaluation }): ReactNode {
  const table = metricTable(evaluation);
  return (
    <>
      <table className="data-table metrics-side-by-side" aria-label="Metrics side by side">
        <thead>
          <tr>
            <th scope="col">Metric</th>
            {table.columns.map((c) => (
              <th
                key={c.id}
                scope="col"
                colSpan={c.role === 'candidate' && table.baseline !== undefined ? 2 : 1}
              >
                <Link to={modelPath(c.name, c.version)}>{c.id}</Link>{' '}
                <span className={`role role-${c.role}`}>{c.role}</span>
              </th>
            ))}
          </tr>
          {table.baseline === undefined ? null : (
            <tr className="sub-header">
              <td />
              {table.columns.map((c) =>
                c.role === 'candidate' ? (
                  <Fragment key={c.id}>
                    <th scope="col">value</th>
                    <th scope="col">vs baseline</th>
                  </Fragment>
                ) : (
                  <th key={c.id} scope="col">
                    value
                  </th>
                ),
              )}
            </tr>
          )}
        </thead>
        <tbody>
          {table.rows.map((row) => (
            <tr key={row.metric} className={row.gated ? 'gated-row' : undefined}>
              <th scope="row">
                {row.metric}
                {row.gated ? <span className="gated-mark"> (gate)</span> : null}
              </th>
              {table.columns.map((c, i) => (
                <MetricCells
                  key={c.id}
                  value={row.values[i]}
                  difference={row.differences[i]}
                  withDifference={c.role === 'candidate' && table.baseline !== undefined}
                />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {table.rows.some((r) => r.values.includes(undefined)) ? (
        <p className="subtle metrics-note">
          — : the model&apos;s outputs cannot give this metric (e.g. no probabilities).
        </p>
      ) : null}
    </>
  );
}

function MetricCells(props: {
  value: number | null | undefined;
  difference: number | undefined;
  withDifference: boolean;
}): ReactNode {
  const value =
    props.value === undefined ? '—' : props.value === null ? 'undefined' : formatNumber(props.value);
  return (
    <>
      <td className="num">{value}</td>
      {props.withDifference ? (
        // Uncoloured: whether more is better depends on the metric, and only the gated one says.
        <td className="num difference" title="candidate − baseline">
          {formatDifference(props.difference)}
        </td>
      ) : null}
    </>
  );
}
