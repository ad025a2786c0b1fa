/** The registered models at `/models`, searchable by name (the search term lives in the URL). */
import { useEffect, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { RegisteredModel } from '@slipway/contracts';
import { client } from '../api.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatTime } from '../format.js';
import { useAsync } from '../use-async.js';
import { AliasBadge } from './AliasBadge.js';
import { latestVersion } from './registry-view.js';
import { modelPath } from './paths.js';
import './registry.css';

/** Models per request; the list keeps asking until it has them all. */
const PAGE_SIZE = 1000;
/** Typing pauses this long before the search runs. */
const SEARCH_DELAY_MS = 200;

/** The page at `/models`. */
export function ModelsPage(): ReactNode {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [text, setText] = useState(q);
  useEffect(() => {
    const timer = setTimeout(() => {
      if (text.trim() !== q) setParams(text.trim() === '' ? {} : { q: text.trim() }, { replace: true });
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, q, setParams]);
  const state = useAsync(() => allModels(q), [q]);
  return (
    <section className="page">
      <header className="page-header">
        <h1>Models</h1>
      </header>
      <div className="toolbar">
        <form className="filter-form" role="search" onSubmit={(e) => e.preventDefault()}>
          <label htmlFor="model-search">Search</label>
          <input
            id="model-search"
            type="search"
            placeholder="Part of a name"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </form>
      </div>
      {state.status === 'loading' ? <Loading what="models" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not list the models" />
      ) : null}
      {state.status === 'ok' && state.data.length === 0 ? (
        <Empty>
          {q === '' ? (
            <p>No registered models yet. Register a version with the SDK, the CLI or an MLflow client.</p>
          ) : (
            <p>
              No model name contains <code>{q}</code>.
            </p>
          )}
        </Empty>
      ) : null}
      {state.status === 'ok' && state.data.length > 0 ? <ModelTable models={state.data} /> : null}
    </section>
  );
}

function ModelTable({ models }: { models: readonly RegisteredModel[] }): ReactNode {
  return (
    <table className="data-table models-table">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Latest version</th>
          <th scope="col">Aliases</th>
          <th scope="col">Last updated</th>
          <th scope="col">Description</th>
        </tr>
      </thead>
      <tbody>
        {models.map((m) => {
          const latest = latestVersion(m);
          return (
            <tr key={m.name}>
              <td>
                <Link to={modelPath(m.name)}>{m.name}</Link>
              </td>
              <td className="num">
                {latest === undefined ? '—' : <Link to={modelPath(m.name, latest)}>v{latest}</Link>}
              </td>
              <td>
                {m.aliases.map((a) => (
                  <AliasBadge key={a.alias} alias={a.alias} version={a.version} />
                ))}
              </td>
              <td>{formatTime(m.lastUpdatedTime)}</td>
              <td className="description-cell">{m.description}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Every model whose name contains `q`, ignoring case (all of them for ''), by name. */
async function allModels(q: string): Promise<RegisteredModel[]> {
  const quoted = q.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
  const filter = q === '' ? undefined : `name ILIKE '%${quoted}%'`;
  const out: RegisteredModel[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.models.search({
      maxResults: PAGE_SIZE,
      ...(filter === undefined ? {} : { filter }),
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    out.push(...page.registeredModels);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return out;
}
