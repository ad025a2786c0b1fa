/**
 * Serves the web UI (the built `packages/ui` app) at `/`: its files as they are, and `index.html`
 * for any other page a browser asks for, so a deep link such as `/experiments/3` works on reload
 * (the app routes on the client). API paths keep their JSON 404s.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Path prefixes that belong to an API, never to the UI. */
const API_PREFIXES = ['/api/', '/ajax-api/', '/v1/', '/v2/'];

/** Vite puts content-hashed bundles here: they never change under one name. */
const HASHED_ASSETS = '/assets/';

/** Whether the UI folder holds a build. */
export function hasUiBuild(dir: string): boolean {
  return existsSync(join(dir, 'index.html'));
}

/** Answers a request no route took when it is a page the UI should render; undefined otherwise. */
export type UiFallback = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined;

/**
 * Registers the UI's files, or, without a build, a `/` that explains how to make one. Whether there
 * is a build is decided here, once: a build made later is served after a restart.
 */
export async function registerUi(app: FastifyInstance, dir: string): Promise<UiFallback> {
  if (!hasUiBuild(dir)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => sendNotBuilt(reply, dir));
    return (request, reply) => (isPageRequest(request) ? sendNotBuilt(reply, dir) : undefined);
  }
  await app.register(fastifyStatic, {
    root: dir,
    // Files are listed once at startup: a request never touches the disk for a path that is not there.
    wildcard: false,
    cacheControl: false,
    setHeaders: (res, path) => {
      res.setHeader('cache-control', cacheControlOf(path));
    },
  });
  return (request, reply) =>
    isPageRequest(request) ? reply.header('cache-control', 'no-cache').sendFile('index.html') : undefined;
}

/** A browser navigating to a page: GET or HEAD, asking for HTML, outside every API prefix. */
function isPageRequest(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '';
  if (API_PREFIXES.some((prefix) => path.startsWith(prefix))) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

function cacheControlOf(path: string): string {
  const hashed = path.replaceAll('\\', '/').includes(HASHED_ASSETS);
  return hashed ? 'public, max-age=31536000, immutable' : 'no-cache';
}

function sendNotBuilt(reply: FastifyReply, dir: string): FastifyReply {
  const html =
    '<!doctype html><meta charset="utf-8"><title>Slipway: web UI not built</title>' +
    '<h1>The Slipway web UI has not been built</h1>' +
    `<p>No <code>index.html</code> in <code>${escapeHtml(dir)}</code>. Run <code>npm run build</code> ` +
    'in the repository (it builds <code>packages/ui</code>), or point <code>--ui-dir</code> ' +
    '(<code>SLIPWAY_UI_DIR</code>) at a build. The API under <code>/api/v1</code> works without it.</p>';
  return reply.status(503).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}
