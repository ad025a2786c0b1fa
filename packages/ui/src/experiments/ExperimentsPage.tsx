/** The experiments list at `/experiments`, searchable by name (the search term lives in the URL). */
import { useEffect, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Experiment } from '@slipway/contracts';
import { client } from '../api.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatTime } from '../format.js';
import { useAsync } from '../use-async.js';

/** Experiments per request; the list keeps asking until it has them all. */
const PAGE_SIZE = 1000;
/** Typing pauses this long before the search runs. */
const SEARCH_DELAY_MS = 200;

/** The page at `/experiments`. */
export function ExperimentsPage(): ReactNode {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [text, setText] = useState(q);
  useEffect(() => {
    const timer = setTimeout(() => {
      if (text.trim() !== q) setParams(text.trim() === '' ? {} : { q: text.trim() }, { replace: true });
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, q, setParams]);
  const state = useAsync(() => allExperiments(q), [q]);
  return (
    <section className="page">
      <header className="page-header">
        <h1>Experiments</h1>
      </header>
      <div className="toolbar">
        <form className="filter-form" role="search" onSubmit={(e) => e.preventDefault()}>
          <label htmlFor="experiment-search">Search</label>
          <input
            id="experiment-search"
            type="search"
            placeholder="Part of a name"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </form>
      </div>
      {state.status === 'loading' ? <Loading what="experiments" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not list the experiments" />
      ) : null}
      {state.status === 'ok' && state.data.length === 0 ? (
        <Empty>
          {q === '' ? (
            <p>No experiments yet. Create one with the SDK, the CLI or an MLflow client.</p>
          ) : (
            <p>
              No experiment name contains <code>{q}</code>.
            </p>
          )}
        </Empty>
      ) : null}
      {state.status === 'ok' && state.data.length > 0 ? <ExperimentTable experiments={state.data} /> : null}
    </section>
  );
}

function ExperimentTable({ experiments }: { experiments: readonly Experiment[] }): ReactNode {
  return (
    <table className="data-table experiments-table">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">ID</th>
          <th scope="col">Created</th>
          <th scope="col">Last updated</th>
          <th scope="col">Tags</th>
        </tr>
      </thead>
      <tbody>
        {experiments.map((e) => (
          <tr key={e.experimentId}>
            <td>
              <Link to={`/experiments/${e.experimentId}`}>{e.name}</Link>
            </td>
            <td className="mono">{e.experimentId}</td>
            <td>{formatTime(e.creationTime)}</td>
            <td>{formatTime(e.lastUpdateTime)}</td>
            <td className="tags-cell">
              {Object.entries(e.tags)
                .filter(([k]) => !k.startsWith('mlflow.'))
                .map(([k, v]) => (
                  <span key={k} className="tag">
                    {k}={v}
                  </span>
                ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Every experiment whose name contains `q`, ignoring case (all of them for ''), most recently updated first. */
async function allExperiments(q: string): Promise<Experiment[]> {
  const quoted = q.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
  const filter = q === '' ? undefined : `name ILIKE '%${quoted}%'`;
  const out: Experiment[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.experiments.search({
      orderBy: ['last_update_time DESC'],
      maxResults: PAGE_SIZE,
      ...(filter === undefined ? {} : { filter }),
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    out.push(...page.experiments);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return out;
}
