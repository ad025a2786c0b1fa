/** The endpoints list at `/endpoints`: what each endpoint serves, its canary and shadows. */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Endpoint } from '@slipway/contracts';
import { client } from '../api.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatTime } from '../format.js';
import { useAsync } from '../use-async.js';
import { versionText } from './traffic.js';
import './endpoints.css';

/** The page at `/endpoints`. */
export function EndpointsPage(): ReactNode {
  const state = useAsync(() => client.endpoints.list(), []);
  return (
    <section className="page">
      <header className="page-header">
        <h1>Endpoints</h1>
      </header>
      {state.status === 'loading' ? <Loading what="endpoints" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not list the endpoints" />
      ) : null}
      {state.status === 'ok' && state.data.length === 0 ? (
        <Empty>
          <p>
            No endpoints yet. Create one with <code>slipway endpoints create</code> or{' '}
            <code>client.endpoints.create</code>.
          </p>
        </Empty>
      ) : null}
      {state.status === 'ok' && state.data.length > 0 ? <EndpointTable endpoints={state.data} /> : null}
    </section>
  );
}

function EndpointTable({ endpoints }: { endpoints: readonly Endpoint[] }): ReactNode {
  return (
    <table className="data-table endpoints-table">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Serves</th>
          <th scope="col">Canary</th>
          <th scope="col">Shadows</th>
          <th scope="col">Updated</th>
          <th scope="col">Monitoring</th>
        </tr>
      </thead>
      <tbody>
        {endpoints.map((e) => (
          <tr key={e.name}>
            <td>
              <Link to={`/endpoints/${encodeURIComponent(e.name)}`}>{e.name}</Link>
            </td>
            <td>{versionText(e.model)}</td>
            <td>{e.canary === undefined ? '—' : `${versionText(e.canary.model)} (${e.canary.percent}%)`}</td>
            <td>
              {e.shadows === undefined || e.shadows.length === 0
                ? '—'
                : e.shadows.map(versionText).join(', ')}
            </td>
            <td>{formatTime(e.updatedAt)}</td>
            <td>
              <Link
                to={`/endpoints/${encodeURIComponent(e.name)}/monitoring`}
                aria-label={`Monitoring of ${e.name}`}
              >
                Monitoring
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
