/**
 * The prediction log over HTTP, thin: labels in on the data plane's path
 * (`POST /v1/endpoints/{name}/labels`, snake_case), and the joined log out under the native API
 * (`GET /api/v1/endpoints/{name}/predictions | labels/unmatched | aggregates`, camelCase).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ExportFormat,
  AggregateBucket,
  LabelWriteResult,
  PredictionPage,
  UnmatchedLabelPage,
} from '@slipway/contracts';
import type { FastifyInstance } from 'fastify';
import type { PredictionService } from './prediction-service.js';
import {
  DEFAULT_PAGE_SIZE,
  decodeAggregateQuery,
  decodeExportQuery,
  decodeLabelsBody,
  decodePredictionQuery,
} from './prediction-wire.js';

const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  parquet: 'application/vnd.apache.parquet',
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson',
};

/** A download name that is safe in a header whatever the endpoint is called. */
function exportFileName(endpoint: string, format: ExportFormat): string {
  return `${endpoint.replace(/[^A-Za-z0-9._-]/g, '_')}-predictions.${format}`;
}

interface NameParams {
  name: string;
}

/** OpenAPI documentation of a read route (its query string is decoded by prediction-wire.ts). */
function readSchema(summary: string): { summary: string; tags: string[] } {
  return { summary, tags: ['predictions'] };
}

/** `POST /v1/endpoints/{name}/labels`: one label or `{labels: [...]}`, up to 10,000 per call. */
export function registerLabelRoutes(app: FastifyInstance, predictions: PredictionService): void {
  app.post<{ Params: NameParams }>('/v1/endpoints/:name/labels', async (request): Promise<LabelWriteResult> =>
    predictions.submitLabels(request.params.name, decodeLabelsBody(request.body), 'api'),
  );
}

/** The read routes, mounted under `/api/v1` with the native conventions. */
export function registerPredictionQueryRoutes(app: FastifyInstance, predictions: PredictionService): void {
  app.get<{ Params: NameParams; Querystring: Record<string, unknown> }>(
    '/endpoints/:name/predictions',
    { schema: readSchema("A page of the endpoint's logged predictions with their labels, newest first") },
    async (request): Promise<PredictionPage> =>
      predictions.queryPredictions(decodePredictionQuery(request.params.name, request.query)),
  );
  app.get<{ Params: NameParams; Querystring: Record<string, unknown> }>(
    '/endpoints/:name/labels/unmatched',
    { schema: readSchema("The endpoint's labels that match no logged prediction yet") },
    async (request): Promise<UnmatchedLabelPage> => {
      const page = decodePredictionQuery(request.params.name, {
        limit: request.query['limit'] ?? DEFAULT_PAGE_SIZE,
      });
      const cursor = request.query['cursor'];
      return predictions.unmatchedLabels({
        endpoint: request.params.name,
        limit: page.limit,
        ...(cursor === undefined ? {} : { cursor: String(cursor) }),
      });
    },
  );
  app.get<{ Params: NameParams; Querystring: Record<string, unknown> }>(
    '/endpoints/:name/export',
    { schema: readSchema('The filtered, joined log as a Parquet, CSV or JSON-lines file, oldest first') },
    async (request, reply) => {
      const exported = decodeExportQuery(request.params.name, request.query);
      const dir = await mkdtemp(join(tmpdir(), 'slipway-export-'));
      const file = join(dir, `${request.params.name}.${exported.format}`);
      const removeDir = (): void => void rm(dir, { recursive: true, force: true });
      try {
        const { rows } = await predictions.exportTo({ ...exported, path: file });
        const { size } = await stat(file);
        // The temp file goes once the response has been sent (or aborted).
        reply.raw.once('close', removeDir);
        return await reply
          .headers({
            'content-type': EXPORT_CONTENT_TYPES[exported.format],
            'content-length': String(size),
            'content-disposition': `attachment; filename="${exportFileName(request.params.name, exported.format)}"`,
            'x-slipway-rows': String(rows),
          })
          .send(createReadStream(file));
      } catch (error) {
        removeDir();
        throw error;
      }
    },
  );
  app.get<{ Params: NameParams; Querystring: Record<string, unknown> }>(
    '/endpoints/:name/aggregates',
    {
      schema: readSchema(
        'Time-bucket aggregates of the joined log: counts, latency, label delay, realized metrics',
      ),
    },
    async (request): Promise<{ buckets: AggregateBucket[] }> => ({
      buckets: await predictions.aggregate(decodeAggregateQuery(request.params.name, request.query)),
    }),
  );
}
