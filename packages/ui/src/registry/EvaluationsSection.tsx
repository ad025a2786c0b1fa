/**
 * A model's evaluations, newest first: one line each with the gate's verdict, and the chosen one
 * (`?evaluation=<id>`, by default the newest) in full, side by side with its baseline.
 */
import type { ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Evaluation } from '@slipway/contracts';
import { client } from '../api.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatNumber, formatTime } from '../format.js';
import { useAsync } from '../use-async.js';
import { EvaluationDetail } from './EvaluationDetail.js';
import { evaluationPath } from './paths.js';
import { formatDifference } from './registry-view.js';
import './registry.css';

/** The evaluations section of a model page. */
export function EvaluationsSection({ name }: { name: string }): ReactNode {
  const [params] = useSearchParams();
  const state = useAsync(() => client.evaluations.list({ model: name }), [name]);
  return (
    <section aria-labelledby="evaluations-heading" className="registry-section">
      <h2 id="evaluations-heading">Evaluations</h2>
      {state.status === 'loading' ? <Loading what="evaluations" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not list the evaluations" />
      ) : null}
      {state.status === 'ok' && state.data.length === 0 ? (
        <Empty>
          <p>
            Not evaluated yet. Run <code>slipway evaluate</code>, <code>client.evaluations.create</code>, or
            promote a version through its gate.
          </p>
        </Empty>
      ) : null}
      {state.status === 'ok' && state.data.length > 0 ? (
        <EvaluationList evaluations={state.data} chosen={params.get('evaluation')} />
      ) : null}
    </section>
  );
}

function EvaluationList(props: { evaluations: readonly Evaluation[]; chosen: string | null }): ReactNode {
  const [params] = useSearchParams();
  const shown = props.evaluations.find((e) => e.id === props.chosen) ?? props.evaluations[0];
  const linkTo = (id: string): string => {
    const next = new URLSearchParams(params);
    next.set('evaluation', id);
    return `?${next.toString()}`;
  };
  return (
    <>
      <table className="data-table evaluations-table">
        <thead>
          <tr>
            <th scope="col">Evaluated</th>
            <th scope="col">Candidates</th>
            <th scope="col">Baseline</th>
            <th scope="col">Gate metric</th>
            <th scope="col">Candidate</th>
            <th scope="col">Baseline</th>
            <th scope="col">Difference</th>
            <th scope="col">Verdict</th>
            <th scope="col">Promotion</th>
          </tr>
        </thead>
        <tbody>
          {props.evaluations.map((e) => {
            const current = e.id === shown?.id;
            const v = e.verdict;
            return (
              <tr key={e.id} className={current ? 'selected-row' : undefined}>
                <td>
                  <Link to={linkTo(e.id)} aria-current={current ? 'true' : undefined} preventScrollReset>
                    {formatTime(e.createdAt)}
                  </Link>
                </td>
                <td>{modelIds(e, 'candidate')}</td>
                <td>{modelIds(e, 'baseline')}</td>
                <td>{e.gate?.metric ?? '—'}</td>
                <td className="num">{v === undefined ? '' : formatNumber(v.candidate.value ?? undefined)}</td>
                <td className="num">{v === undefined ? '' : formatNumber(v.baseline.value ?? undefined)}</td>
                <td className="num">{v === undefined ? '' : formatDifference(v.difference)}</td>
                <td>
                  {v === undefined ? (
                    <span className="subtle">no gate</span>
                  ) : (
                    <span className={`verdict-chip ${v.passed ? 'verdict-pass' : 'verdict-fail'}`}>
                      {v.passed ? 'pass' : 'fail'}
                    </span>
                  )}
                </td>
                <td>{e.promotion === undefined ? '' : `@${e.promotion.alias}: ${e.promotion.outcome}`}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {shown === undefined ? null : (
        <div className="evaluation-shown">
          <h3>
            Evaluation of {formatTime(shown.createdAt)}{' '}
            <Link to={evaluationPath(shown.id)} className="subtle-link">
              (own page)
            </Link>
          </h3>
          <EvaluationDetail evaluation={shown} />
        </div>
      )}
    </>
  );
}

function modelIds(evaluation: Evaluation, role: 'candidate' | 'baseline'): string {
  return evaluation.models
    .filter((m) => m.role === role)
    .map((m) => m.id)
    .join(', ');
}
