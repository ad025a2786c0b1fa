/**
 * A model's audited history as a timeline, newest first: alias set, moved and removed (with who,
 * why and from which version to which), gated promotions linked to the evaluation that allowed
 * them, and versions registered.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { RegistryEvent } from '@slipway/contracts';
import { client } from '../api.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatTime } from '../format.js';
import { useAsync } from '../use-async.js';
import { evaluationPath } from './paths.js';
import { describeEvent } from './registry-view.js';
import './registry.css';

/** The history section of a model page. */
export function HistoryTimeline({ name }: { name: string }): ReactNode {
  const state = useAsync(() => client.models.history(name), [name]);
  return (
    <section aria-labelledby="history-heading" className="registry-section">
      <h2 id="history-heading">Promotion history</h2>
      {state.status === 'loading' ? <Loading what="the history" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not load the history" />
      ) : null}
      {state.status === 'ok' && state.data.length === 0 ? (
        <Empty>
          <p>No events recorded.</p>
        </Empty>
      ) : null}
      {state.status === 'ok' && state.data.length > 0 ? (
        <ol className="timeline" aria-label="History">
          {[...state.data].reverse().map((e) => (
            <TimelineItem key={e.seq} event={e} />
          ))}
        </ol>
      ) : null}
    </section>
  );
}

function TimelineItem({ event }: { event: RegistryEvent }): ReactNode {
  const view = describeEvent(event);
  return (
    <li className={`timeline-item timeline-${view.kind}`} data-kind={view.kind}>
      <span className="timeline-mark" aria-hidden="true" />
      <div className="timeline-body">
        <div className="timeline-title">
          <strong>{view.title}</strong>
          {view.gate === undefined ? null : (
            <span className={`verdict-chip ${view.gate === 'passed' ? 'verdict-pass' : 'verdict-fail'}`}>
              {view.gate === 'passed' ? 'gate passed' : 'gate failed, overridden'}
            </span>
          )}
          {event.forced === true ? (
            <span className="verdict-chip verdict-fail">contract break forced</span>
          ) : null}
        </div>
        <div className="timeline-meta">
          <time dateTime={new Date(event.time).toISOString()}>{formatTime(event.time)}</time>
          <span>by {event.actor || 'unknown'}</span>
          {view.evaluationId === undefined ? null : (
            <Link to={evaluationPath(view.evaluationId)}>gate evaluation</Link>
          )}
        </div>
        {event.reason === undefined || event.reason === '' ? null : (
          <p className="timeline-reason">“{event.reason}”</p>
        )}
      </div>
    </li>
  );
}
