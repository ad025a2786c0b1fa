/** The app shell: the header with the navigation, and one route per page (every page has a deep link). */
import type { ReactNode } from 'react';
import { Link, NavLink, Navigate, Route, Routes } from 'react-router';
import { ComparePage } from './compare/ComparePage.js';
import { Empty } from './components/status.js';
import { ExperimentPage } from './experiments/ExperimentPage.js';
import { ExperimentsPage } from './experiments/ExperimentsPage.js';
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
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Navigate to="/experiments" replace />} />
          <Route path="/experiments" element={<ExperimentsPage />} />
          <Route path="/experiments/:experimentId" element={<ExperimentPage />} />
          <Route path="/runs/:runId" element={<RunPage />} />
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
