/**
 * A registered model at `/models/:name` (its latest version selected) or
 * `/models/:name/versions/:version`: aliases, versions, the selected version's contract, a contract
 * diff between two versions, evaluations against the baseline, and the promotion history. Each
 * section loads on its own, so a slow or failing one does not hold up the others.
 */
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import type { ModelVersion, RegisteredModel } from '@slipway/contracts';
import { client } from '../api.js';
import { ErrorMessage, Loading } from '../components/status.js';
import { formatTime } from '../format.js';
import { useAsync } from '../use-async.js';
import { AliasBadge } from './AliasBadge.js';
import { ContractDiffSection } from './ContractDiff.js';
import { ContractView } from './ContractView.js';
import { EvaluationsSection } from './EvaluationsSection.js';
import { Fact } from './Fact.js';
import { HistoryTimeline } from './HistoryTimeline.js';
import { modelPath } from './paths.js';
import { latestVersion } from './registry-view.js';
import './registry.css';

/** A model and every one of its versions, newest first. */
interface ModelData {
  model: RegisteredModel;
  versions: ModelVersion[];
}

/** The page at `/models/:name` and `/models/:name/versions/:version`. */
export function ModelPage(): ReactNode {
  const { name = '', version } = useParams();
  const state = useAsync(() => loadModel(name), [name]);
  return (
    <section className="page registry-page">
      {state.status === 'loading' ? <Loading what="the model" /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action="Could not load the model" />
      ) : null}
      {state.status === 'ok' ? <ModelView data={state.data} routeVersion={version} /> : null}
    </section>
  );
}

/** `routeVersion` is the version in the address; without one the latest version is shown. */
function ModelView({ data, routeVersion }: { data: ModelData; routeVersion: string | undefined }): ReactNode {
  const { model, versions } = data;
  const selected = routeVersion ?? latestVersion(model);
  return (
    <>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/models">Models</Link> <span aria-hidden="true">/</span>{' '}
        {routeVersion === undefined ? (
          <span>{model.name}</span>
        ) : (
          <>
            <Link to={modelPath(model.name)}>{model.name}</Link> <span aria-hidden="true">/</span>{' '}
            <span>v{routeVersion}</span>
          </>
        )}
      </nav>
      <header className="page-header">
        <h1>{model.name}</h1>
        {model.description === '' ? null : <p className="subtle">{model.description}</p>}
        <dl className="facts">
          <Fact label="Versions">{versions.length}</Fact>
          <Fact label="Aliases">
            {model.aliases.length === 0
              ? 'none'
              : model.aliases.map((a) => (
                  <Link key={a.alias} to={modelPath(model.name, a.version)} className="alias-link">
                    <AliasBadge alias={a.alias} version={a.version} />
                  </Link>
                ))}
          </Fact>
          <Fact label="Created">{formatTime(model.creationTime)}</Fact>
          <Fact label="Last updated">{formatTime(model.lastUpdatedTime)}</Fact>
        </dl>
      </header>
      <div className="registry-columns">
        <VersionsTable name={model.name} versions={versions} selected={selected} />
        {selected === undefined ? (
          <p className="subtle">This model has no versions yet.</p>
        ) : (
          <VersionDetail key={selected} name={model.name} version={selected} />
        )}
      </div>
      {versions.length < 2 ? null : (
        <ContractDiffSection name={model.name} versions={versions} selected={selected} />
      )}
      <EvaluationsSection name={model.name} />
      <HistoryTimeline name={model.name} />
    </>
  );
}

function VersionsTable(props: {
  name: string;
  versions: readonly ModelVersion[];
  selected: string | undefined;
}): ReactNode {
  return (
    <section aria-labelledby="versions-heading" className="registry-section">
      <h2 id="versions-heading">Versions</h2>
      {props.versions.length === 0 ? (
        <p className="subtle">No versions registered.</p>
      ) : (
        <table className="data-table versions-table">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Created</th>
              <th scope="col">Source run</th>
              <th scope="col">Status</th>
              <th scope="col">Aliases</th>
            </tr>
          </thead>
          <tbody>
            {props.versions.map((v) => {
              const current = v.version === props.selected;
              return (
                <tr key={v.version} className={current ? 'selected-row' : undefined}>
                  <td>
                    <Link to={modelPath(props.name, v.version)} aria-current={current ? 'page' : undefined}>
                      v{v.version}
                    </Link>
                  </td>
                  <td className="nowrap">{formatTime(v.creationTime)}</td>
                  <td className="mono">
                    {v.runId === '' ? '—' : <Link to={`/runs/${v.runId}`}>{v.runId.slice(0, 8)}</Link>}
                  </td>
                  <td>
                    <span className={`version-status version-status-${v.status.toLowerCase()}`}>
                      {v.status === 'READY' ? 'Ready' : v.status.replaceAll('_', ' ').toLowerCase()}
                    </span>
                  </td>
                  <td>
                    {v.aliases.map((a) => (
                      <AliasBadge key={a} alias={a} />
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function VersionDetail({ name, version }: { name: string; version: string }): ReactNode {
  const state = useAsync(() => client.models.getVersion(name, version), [name, version]);
  return (
    <section aria-labelledby="version-heading" className="registry-section">
      <h2 id="version-heading">Version {version}</h2>
      {state.status === 'loading' ? <Loading what={`version ${version}`} /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action={`Could not load version ${version}`} />
      ) : null}
      {state.status === 'ok' ? (
        <>
          <dl className="facts">
            <Fact label="Source">
              <code className="source-uri">{state.data.source}</code>
            </Fact>
            <Fact label="Registered by">{state.data.userId || '—'}</Fact>
            {state.data.package === undefined ? null : (
              <Fact label="Runtime">{state.data.package.runtime}</Fact>
            )}
          </dl>
          {state.data.description === '' ? null : <p>{state.data.description}</p>}
          <ContractView contract={state.data.contract} />
        </>
      ) : null}
    </section>
  );
}

/** The model and all its versions, fetched together. */
async function loadModel(name: string): Promise<ModelData> {
  const quoted = name.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
  const [model, versions] = await Promise.all([
    client.models.get(name),
    client.models
      .searchVersionsAll({ filter: `name = '${quoted}'`, orderBy: ['version_number DESC'] })
      .collect(),
  ]);
  return { model, versions };
}
