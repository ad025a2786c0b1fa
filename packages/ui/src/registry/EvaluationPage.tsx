/** A stored evaluation at `/evaluations/:id`: the page a promotion in the history links to. */
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { client } from '../api.js';
import { ErrorMessage, Loading } from '../components/status.js';
import { useAsync } from '../use-async.js';
import { EvaluationDetail } from './EvaluationDetail.js';
import { modelPath } from './paths.js';
import './registry.css';

/** The page at `/evaluations/:id`. */
export function EvaluationPage(): ReactNode {
  const { id = '' } = useParams();
  const state = useAsync(() => client.evaluations.get(id), [id]);
  const candidate = state.status === 'ok' ? state.data.models.find((m) => m.role === 'candidate') : undefined;
  return (
    <section className="page registry-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/models">Models</Link> <span aria-hidden="true">/</span>{' '}
        {candidate === undefined ? null : (
          <>
            <Link to={modelPath(candidate.name)}>{candidate.name}</Link>{' '}
            <span aria-hidden="true">/</span>{' '}
          </>
        )}
        <span>Evaluation</span>
      </nav>
      <header className="page-header">
        <h1>
          Evaluation <code>{id}</code>
        </h1>
      </header>
      {state.status === 'loading' ? <Loading what="the evaluation" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not load the evaluation" />
      ) : null}
      {state.status === 'ok' ? <EvaluationDetail evaluation={state.data} /> : null}
    </section>
  );
}
