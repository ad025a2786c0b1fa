/**
 * Native artifact routes: streamed upload and download of a run's files, and directory listings.
 * Every client-supplied path passes `normalizeArtifactPath` before it reaches the store.
 */
import { Readable, Transform, pipeline } from 'node:stream';
import {
  ArtifactListResponseSchema,
  ArtifactParamsSchema,
  ArtifactResponseSchema,
  ListArtifactsQuerySchema,
  RunIdParamsSchema,
  SlipwayError,
  invalidArgument,
  type ArtifactInfo,
  type ArtifactListResponse,
  type ArtifactResponse,
  type ListArtifactsQuery,
  type RunInfo,
} from '@slipway/contracts';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { Static } from 'typebox';
import type { ArtifactStore } from './artifact-store.js';
import { artifactLocationToPath, joinArtifactPath, normalizeArtifactPath } from './artifact-paths.js';
import type { TrackingService } from './tracking-service.js';
import { ERROR_RESPONSES } from './tracking-routes-support.js';

type FileParams = Static<typeof ArtifactParamsSchema>;

const tags = ['artifacts'];
const SERVED_SCHEME = 'mlflow-artifacts:';
const BINARY = { type: 'string', format: 'binary' } as const;

/** Registers the artifact routes on `app` (mounted under `/api/v1`). */
export async function registerArtifactRoutes(
  app: FastifyInstance,
  tracking: TrackingService,
  artifacts: ArtifactStore,
): Promise<void> {
  const files = new RunArtifacts(tracking, artifacts);
  await app.register(async (uploads) => registerUploadRoute(uploads, files));
  registerReadRoutes(app, files);
}

/** Uploads live in their own plugin so the pass-through body parser applies to them alone. */
function registerUploadRoute(app: FastifyInstance, files: RunArtifacts): void {
  app.removeAllContentTypeParsers();
  // Any content type (and none) reaches the handler as the raw request stream: bytes are never buffered.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.put<{ Params: FileParams; Body: Readable | undefined }>(
    '/runs/:runId/artifacts/*',
    {
      schema: {
        summary: 'Upload (or replace) one artifact file; the request body is the raw file content',
        tags,
        params: ArtifactParamsSchema,
        response: { 201: ArtifactResponseSchema, ...ERROR_RESPONSES },
      },
      // The body is a raw stream, not JSON: document it without giving Fastify a body schema to validate.
      config: {
        swaggerTransform: documentFileRoute({ consumes: ['application/octet-stream'], body: BINARY }),
      },
    },
    async (request, reply): Promise<ArtifactResponse> => {
      const { runId, '*': rawPath } = request.params;
      const artifact = await files.upload(runId, rawPath, request.body ?? Readable.from([]));
      void reply.code(201);
      return { artifact };
    },
  );
}

function registerReadRoutes(app: FastifyInstance, files: RunArtifacts): void {
  app.get<{ Params: FileParams }>(
    '/runs/:runId/artifacts/*',
    {
      schema: {
        summary: 'Download one artifact file (streamed as application/octet-stream)',
        tags,
        params: ArtifactParamsSchema,
        response: { ...ERROR_RESPONSES },
      },
      config: {
        swaggerTransform: documentFileRoute({
          produces: ['application/octet-stream'],
          response: { 200: { ...BINARY, description: 'The file content.' }, ...ERROR_RESPONSES },
        }),
      },
    },
    async (request, reply) => {
      const { stream, size } = await files.download(request.params.runId, request.params['*']);
      return reply.type('application/octet-stream').header('content-length', size).send(stream);
    },
  );

  app.get<{ Params: Static<typeof RunIdParamsSchema>; Querystring: ListArtifactsQuery }>(
    '/runs/:runId/artifacts',
    {
      schema: {
        summary: "List a directory of a run's artifacts (the root without ?path)",
        tags,
        params: RunIdParamsSchema,
        querystring: ListArtifactsQuerySchema,
        response: { 200: ArtifactListResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ArtifactListResponse> => ({
      artifacts: await files.list(request.params.runId, request.query.path ?? ''),
    }),
  );
}

/**
 * OpenAPI view of a `/artifacts/*` route: the wildcard becomes a `{path}` parameter (OpenAPI has no
 * wildcards) and `extra` adds what Fastify must not see, such as a binary body schema.
 */
function documentFileRoute(extra: FastifySchema) {
  return ({ schema, url }: { schema: FastifySchema; url: string }) => ({
    schema: {
      ...schema,
      params: {
        type: 'object',
        required: ['runId', 'path'],
        properties: {
          runId: { type: 'string', minLength: 1 },
          path: {
            type: 'string',
            description: "File path below the run's artifact root; its slashes stay literal.",
          },
        },
      },
      ...extra,
    },
    url: url.replace(/\*$/, ':path'),
  });
}

/** A run's artifacts in the store, addressed by paths relative to the run's artifact root. */
class RunArtifacts {
  constructor(
    private readonly tracking: TrackingService,
    private readonly store: ArtifactStore,
  ) {}

  /** Streams `body` into the file at `rawPath`; returns its listing entry. */
  async upload(runId: string, rawPath: string, body: Readable): Promise<ArtifactInfo> {
    const path = requireFilePath(rawPath);
    const root = await this.root(runId);
    let fileSize = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        fileSize += chunk.length;
        callback(null, chunk);
      },
    });
    // An aborted upload destroys `counter` with the error, which fails the store's write.
    pipeline(body, counter, () => undefined);
    await this.store.put(joinArtifactPath(root, path), counter);
    return { path, isDir: false, fileSize };
  }

  /** Opens the file at `rawPath`; NOT_FOUND names the path as the client wrote it. */
  async download(runId: string, rawPath: string): Promise<{ stream: Readable; size: number }> {
    const path = requireFilePath(rawPath);
    const root = await this.root(runId);
    try {
      return await this.store.get(joinArtifactPath(root, path));
    } catch (err) {
      if (err instanceof SlipwayError && err.code === 'NOT_FOUND') {
        throw new SlipwayError('NOT_FOUND', `No artifact file '${path}' in run ${runId}.`, { field: 'path' });
      }
      throw err;
    }
  }

  /** Lists the directory at `rawPath` ('' = the root); entries carry root-relative paths. */
  async list(runId: string, rawPath: string): Promise<ArtifactInfo[]> {
    const dir = normalizeArtifactPath(rawPath, 'path');
    const root = await this.root(runId);
    const entries = await this.store.list(joinArtifactPath(root, dir));
    return entries.map((e) => ({ ...e, path: dir ? `${dir}/${e.path}` : e.path }));
  }

  /** Store-relative artifact root of a run (`<exp>/<run>/artifacts`); NOT_FOUND if the run is unknown. */
  private async root(runId: string): Promise<string> {
    return storeRoot(await this.tracking.getRunInfo(runId));
  }
}

function requireFilePath(rawPath: string): string {
  const path = normalizeArtifactPath(rawPath, 'path');
  if (path === '') throw invalidArgument('path', 'An artifact file path is required after /artifacts/.');
  return path;
}

/**
 * Only runs whose artifacts live in this server's store can be served. A run created in an
 * experiment with a user-chosen location (s3://, file:, ...) keeps its artifacts there.
 */
function storeRoot(info: RunInfo): string {
  const uri = info.artifactUri;
  if (!uri.toLowerCase().startsWith(SERVED_SCHEME)) {
    throw new SlipwayError(
      'FAILED_PRECONDITION',
      `Run ${info.runId} stores its artifacts at '${uri}', which this server does not serve; ` +
        'read and write them at that location directly.',
      { field: 'runId', artifactUri: uri },
    );
  }
  try {
    return artifactLocationToPath(uri, 'artifactUri');
  } catch (err) {
    // The location was accepted when the experiment was created; refusing it now is the run's state, not the request.
    const reason = err instanceof Error ? err.message : String(err);
    throw new SlipwayError(
      'FAILED_PRECONDITION',
      `Run ${info.runId} has an unusable artifact URI: ${reason}`,
      {
        field: 'runId',
        artifactUri: uri,
      },
    );
  }
}
