/** The three states every page shows besides its data: loading, empty and failed. */
import type { ReactNode } from 'react';
import { SlipwayApiError } from '@slipway/sdk';

/** A placeholder while data loads (announced to screen readers). */
export function Loading({ what }: { what: string }): ReactNode {
  return (
    <p className="state state-loading" role="status" data-state="loading">
      Loading {what}…
    </p>
  );
}

/** Shown when a list has nothing in it; `children` says what to do about it. */
export function Empty({ children }: { children: ReactNode }): ReactNode {
  return (
    <div className="state state-empty" data-state="empty">
      {children}
    </div>
  );
}

/** A failure with the server's own message and error code. */
export function ErrorMessage({ error, action }: { error: Error; action?: string }): ReactNode {
  const code = error instanceof SlipwayApiError ? error.code : undefined;
  return (
    <div className="state state-error" role="alert" data-state="error">
      <strong>{action ?? 'Something went wrong'}</strong>
      {code === undefined ? null : <code className="error-code">{code}</code>}
      <p className="error-message">{error.message}</p>
    </div>
  );
}
