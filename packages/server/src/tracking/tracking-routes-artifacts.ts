/**
 * Native artifact routes: streamed upload and download of a run's files, and directory listings.
 * Every client-supplied path passes `normalizeArtifactPath` before it reaches the store.
 */
import { Readable } from 'node:stream';
import {
  ArtifactListResponseSchema,
  ArtifactParamsSchema,
  ArtifactResponseSchema,
  ListArtifactsQuerySchema,
  RunIdParamsSchema,
  type ArtifactListResponse,
  type ArtifactResponse,
  type ListArtifactsQuery,
} from '@slipway/contracts';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { Static } from 'typebox';
import type { RunArtifacts } from './run-artifacts.js';
import { ERROR_RESPONSES } from './tracking-routes-support.js';

type FileParams = Static<typeof ArtifactParamsSchema>;

const tags = ['artifacts'];
const BINARY = { type: 'string', format: 'binary' } as const;

/** Registers the artifact routes on `app` (mounted under `/api/v1`). */
export async function registerArtifactRoutes(app: FastifyInstance, files: RunArtifacts): Promise<void> {
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
