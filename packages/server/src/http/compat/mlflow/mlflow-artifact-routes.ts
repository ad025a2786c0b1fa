/**
 * MLflow's proxied-artifact endpoints (`MlflowArtifactsService`): list, download, upload and delete
 * under `<prefix>/mlflow-artifacts/artifacts`. The URL path below that prefix is the store path, and
 * every path (URL or `?path=`) passes `normalizeArtifactPath` before the store sees it. Bodies are
 * never buffered: uploads stream the raw request into the store, downloads stream the file out.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ArtifactStore } from '../../../tracking/artifact-store.js';
import { normalizeArtifactPath } from '../../../tracking/artifact-paths.js';
import { invalidArgument } from '@slipway/contracts';
import { artifactContentType, attachmentDisposition } from './mlflow-content-type.js';
import { JSON_CONTENT_TYPE } from './mlflow-errors.js';
import { invalidParameter } from './mlflow-request.js';
import { EMPTY_RESPONSE, fileListResponse } from './mlflow-wire.js';

const PATH_FIELD = 'path';
const NO_BYTES = Buffer.alloc(0);

/**
 * A child scope for the artifact routes whose only body parser hands the raw request stream to the
 * handler: an upload is opaque bytes whatever its Content-Type (the client sends `application/json`
 * for a `.json` file), and no size limit applies to it.
 */
export function mlflowArtifactRoutes(
  artifacts: ArtifactStore,
  prefixes: readonly string[],
): FastifyPluginAsync {
  return async (app) => {
    acceptRawBodies(app);
    for (const prefix of prefixes) registerArtifactRoutes(app, `${prefix}/mlflow-artifacts`, artifacts);
  };
}

/** Makes the scope hand every request body, whatever its type, to handlers as the raw stream. */
export function acceptRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
}

function registerArtifactRoutes(app: FastifyInstance, base: string, artifacts: ArtifactStore): void {
  app.get(`${base}/artifacts`, async (request, reply) => {
    const entries = await artifacts.list(normalizeArtifactPath(queryPath(request), PATH_FIELD));
    void reply.header('content-type', JSON_CONTENT_TYPE);
    return fileListResponse(entries);
  });
  app.get(`${base}/artifacts/*`, async (request, reply) => {
    const path = urlPath(request);
    const { stream, size } = await artifacts.get(path);
    void reply
      .header('content-type', artifactContentType(path))
      .header('content-length', size)
      .header('content-disposition', attachmentDisposition(path))
      .header('x-content-type-options', 'nosniff');
    return reply.send(stream);
  });
  app.put(`${base}/artifacts/*`, async (request, reply) => {
    const path = urlPath(request);
    await artifacts.put(path, uploadBody(request));
    return jsonReply(reply, EMPTY_RESPONSE);
  });
  app.delete(`${base}/artifacts/*`, async (request, reply) => {
    await artifacts.delete(urlPath(request));
    return jsonReply(reply, EMPTY_RESPONSE);
  });
}

/** `?path=` of a listing ('' = the store root); a repeated or non-string value is refused. */
function queryPath(request: FastifyRequest): string {
  const value = (request.query as Record<string, unknown> | undefined)?.[PATH_FIELD];
  if (value === undefined) return '';
  if (typeof value !== 'string') throw invalidParameter(PATH_FIELD, value);
  return value;
}

/** The store path named by the URL after `/artifacts/` (decoded once by the router); never the root. */
function urlPath(request: FastifyRequest): string {
  const raw = (request.params as Record<string, string | undefined>)['*'] ?? '';
  const path = normalizeArtifactPath(raw, PATH_FIELD);
  if (path === '')
    throw invalidArgument(PATH_FIELD, 'The artifact path must name a file or directory below the root.');
  return path;
}

/** The upload as a stream; a request without a body (an empty file) is zero bytes. */
function uploadBody(request: FastifyRequest): Readable | Buffer {
  const body = request.body as Readable | Buffer | undefined | null;
  return body ?? NO_BYTES;
}

function jsonReply(reply: FastifyReply, body: string): string {
  void reply.header('content-type', JSON_CONTENT_TYPE);
  return body;
}
