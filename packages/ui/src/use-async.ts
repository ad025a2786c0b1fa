/** Loads data for a component and tracks loading, success and failure, ignoring answers that arrive too late. */
import { useEffect, useState } from 'react';

/** Where a load stands. */
export type AsyncState<T> =
  { status: 'loading' } | { status: 'ok'; data: T } | { status: 'error'; error: Error };

/** The state of a settled load and the inputs it was made with. */
interface Settled<T> {
  deps: readonly unknown[];
  state: AsyncState<T>;
}

const LOADING = { status: 'loading' } as const;

/**
 * Runs `load` whenever `deps` change. Until the load for the current deps settles the state is
 * loading, and an answer to an older call never overwrites a newer one.
 */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [settled, setSettled] = useState<Settled<T> | undefined>(undefined);
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setSettled({ deps, state: { status: 'ok', data } }),
      (error: unknown) => current && setSettled({ deps, state: { status: 'error', error: asError(error) } }),
    );
    return () => {
      current = false;
    };
    // The caller lists what `load` depends on, as with useEffect.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return settled !== undefined && sameDeps(settled.deps, deps) ? settled.state : LOADING;
}

/** Anything thrown, as an Error whose message can be shown. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function sameDeps(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}
