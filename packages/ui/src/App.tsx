/** The app shell: the header with the navigation, and one route per page (every page has a deep link). */
import type { ReactNode } from 'react';
import { Link, NavLink, Navigate, Route, Routes } from 'react-router';
import { ComparePage } from './compare/ComparePage.js';
import { Empty } from './components/status.js';
import { EndpointPage } from './endpoints/EndpointPage.js';
import { EndpointsPage } from './endpoints/EndpointsPage.js';
import { ExperimentPage } from './experiments/ExperimentPage.js';
import { ExperimentsPage } from './experiments/ExperimentsPage.js';
import { EvaluationPage } from './registry/EvaluationPage.js';
import { ModelPage } from './registry/ModelPage.js';
import { ModelsPage } from './registry/ModelsPage.js';
import { ColumnPage } from './monitoring/ColumnPage.js';
import { MonitoringPage } from './monitoring/MonitoringPage.js';
import { RunPage } from './run/RunPage.js';

/** Routes of the app; the server answers every one of these paths with index.html. */
export function App(): ReactNode {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/" className="brand">
          Slipway
        </Link>
        <nav aria-label="Main">
          <NavLink to="/experiments">Experiments</NavLink>
          <NavLink to="/models">Models</NavLink>
          <NavLink to="/endpoints">Endpoints</NavLink>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Navigate to="/experiments" replace />} />
          <Route path="/experiments" element={<ExperimentsPage />} />
          <Route path="/experiments/:experimentId" element={<ExperimentPage />} />
          <Route path="/runs/:runId" element={<RunPage />} />
          <Route path="/models" element={<ModelsPage />} />
          <Route path="/models/:name" element={<ModelPage />} />
          <Route path="/models/:name/versions/:version" element={<ModelPage />} />
          <Route path="/evaluations/:id" element={<EvaluationPage />} />
          <Route path="/endpoints" element={<EndpointsPage />} />
          <Route path="/endpoints/:name" element={<EndpointPage />} />
          <Route path="/endpoints/:name/monitoring" element={<MonitoringPage />} />
          <Route path="/endpoints/:name/monitoring/columns/:column" element={<ColumnPage />} />
          <Route path="/compare" element={<ComparePage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </>
  );
}

function NotFound(): ReactNode {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <Empty>
        <p>
          There is no page at this address. Go to the <Link to="/experiments">experiments</Link>.
        </p>
      </Empty>
    </section>
  );
}
