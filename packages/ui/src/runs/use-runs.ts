/**
 * Loads every run of an experiment that matches a filter, page after page: the table shows the
 * first page at once and grows as the rest arrives. A new filter abandons the old load.
 */
import { useEffect, useState } from 'react';
import type { Run } from '@slipway/contracts';
import { client } from '../api.js';
import { asError } from '../use-async.js';

/**
 * The first page is small, so the first screen of rows shows quickly; later pages are large, so
 * 10,000 runs take two requests.
 */
const FIRST_PAGE = 200;
const NEXT_PAGE = 10_000;
/** Beyond this many runs the table asks for a narrower filter instead of loading more. */
export const MAX_LOADED_RUNS = 100_000;

/** Where loading the runs stands. */
export interface RunsState {
  runs: Run[];
  /** True until the first page arrives. */
  loading: boolean;
  /** True once every page (or MAX_LOADED_RUNS) has arrived. */
  complete: boolean;
  /** True when runs beyond MAX_LOADED_RUNS were left out. */
  truncated: boolean;
  error?: Error;
}

const INITIAL: RunsState = { runs: [], loading: true, complete: false, truncated: false };

/** The runs of `experimentId` matching `filter` (MLflow filter syntax, '' for all). */
export function useRuns(experimentId: string, filter: string): RunsState {
  const query = `${experimentId}\n${filter}`;
  const [loaded, setLoaded] = useState<{ query: string; state: RunsState } | undefined>(undefined);
  useEffect(() => {
    let current = true;
    const setState = (state: RunsState): void => setLoaded({ query, state });
    void (async () => {
      let runs: Run[] = [];
      let pageToken: string | undefined;
      try {
        do {
          const page = await client.runs.search({
            experimentIds: [experimentId],
            ...(filter === '' ? {} : { filter }),
            maxResults: runs.length === 0 ? FIRST_PAGE : NEXT_PAGE,
            ...(pageToken === undefined ? {} : { pageToken }),
          });
          if (!current) return;
          runs = runs.concat(page.runs);
          pageToken = page.nextPageToken;
          const truncated = pageToken !== undefined && runs.length >= MAX_LOADED_RUNS;
          const complete = pageToken === undefined || truncated;
          setState({ runs, loading: false, complete, truncated });
          if (complete) return;
        } while (pageToken !== undefined);
      } catch (error) {
        if (current)
          setState({ runs, loading: false, complete: true, truncated: false, error: asError(error) });
      }
    })();
    return () => {
      current = false;
    };
  }, [experimentId, filter, query]);
  return loaded?.query === query ? loaded.state : INITIAL;
}
