/**
 * Who is making a request, for the audit history. There is no authentication yet, so this is the
 * caller's own claim: the `X-Slipway-User` header (the SDK and CLI send it), else the user name of
 * HTTP Basic credentials (what MLflow's client sends from MLFLOW_TRACKING_USERNAME), else `anonymous`.
 */
import type { FastifyRequest } from 'fastify';

/** The header the SDK and CLI name their user in. */
export const USER_HEADER = 'x-slipway-user';

const MAX_ACTOR_LENGTH = 256;

/** The acting user of a request. */
export function actorOf(request: Pick<FastifyRequest, 'headers'>): string {
  const header = request.headers[USER_HEADER];
  const claimed = typeof header === 'string' ? header.trim() : '';
  if (claimed) return claimed.slice(0, MAX_ACTOR_LENGTH);
  return basicAuthUser(request.headers.authorization) ?? 'anonymous';
}

function basicAuthUser(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const user = decoded.split(':', 1)[0]?.trim();
  return user ? user.slice(0, MAX_ACTOR_LENGTH) : undefined;
}
