/**
 * Native alias, resolution, history and contract routes: contract-checked alias moves, `models:/`
 * resolution, the audited event history, point-in-time alias lookups and contract diffs.
 */
import {
  AliasMoveResponseSchema,
  AliasesAtQuerySchema,
  AliasesAtResponseSchema,
  ContractDiffQuerySchema,
  ContractDiffResponseSchema,
  DeleteAliasQuerySchema,
  DeleteAliasRequestSchema,
  ModelAliasParamsSchema,
  ModelHistoryQuerySchema,
  ModelNameParamsSchema,
  ModelVersionResponseSchema,
  RegistryEventListResponseSchema,
  RegistryEventResponseSchema,
  ResolveModelQuerySchema,
  SetAliasRequestSchema,
  invalidArgument,
  type AliasMoveResponse,
  type AliasesAtQuery,
  type AliasesAtResponse,
  type ContractDiffQuery,
  type ContractDiffResponse,
  type DeleteAliasQuery,
  type DeleteAliasRequest,
  type ModelHistoryQuery,
  type ModelVersionResponse,
  type RegistryEventListResponse,
  type RegistryEventResponse,
  type ResolveModelQuery,
  type SetAliasRequest,
} from '@slipway/contracts';
import type { FastifyInstance, FastifySchema } from 'fastify';
import Type, { type Static } from 'typebox';
import { ERROR_RESPONSES } from '../tracking/tracking-routes-support.js';
import type { RegistryService } from './registry-service.js';
import { validateVersion } from './registry-validation.js';
import { actorOf } from './request-actor.js';

type NameParams = Static<typeof ModelNameParamsSchema>;
type AliasParams = Static<typeof ModelAliasParamsSchema>;

const tags = ['models'];

/** Registers the alias, resolve, history and contract routes on `app` (mounted under `/api/v1`). */
export function registerAliasRoutes(app: FastifyInstance, registry: RegistryService): void {
  registerAliasMoves(app, registry);
  registerLookups(app, registry);
}

function registerAliasMoves(app: FastifyInstance, registry: RegistryService): void {
  app.put<{ Params: AliasParams; Body: SetAliasRequest }>(
    '/models/:name/aliases/:alias',
    {
      schema: {
        summary: 'Point an alias at a version (contract-checked, audited)',
        description:
          "When the alias already points at a version with a contract, the new version's contract is checked " +
          "in the model's mode (tag slipway.contract_compatibility, backward by default). A breaking move " +
          'answers 409 FAILED_PRECONDITION with details.breaks listing each break, unless force is true; a ' +
          'forced move is recorded as such.',
        tags,
        params: ModelAliasParamsSchema,
        body: SetAliasRequestSchema,
        response: { 200: AliasMoveResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<AliasMoveResponse> => {
      const { name, alias } = request.params;
      return registry.setAlias({ ...request.body, name, alias }, actorOf(request));
    },
  );

  app.delete<{ Params: AliasParams; Querystring: DeleteAliasQuery; Body: DeleteAliasRequest | null }>(
    '/models/:name/aliases/:alias',
    {
      schema: {
        summary: 'Remove an alias (audited)',
        description:
          'The reason is recorded in the history; give it as ?reason= or as an optional JSON body {"reason": "..."}.',
        tags,
        params: ModelAliasParamsSchema,
        querystring: DeleteAliasQuerySchema,
        // DELETE usually has no body: Fastify validates a missing one as null.
        body: Type.Union([DeleteAliasRequestSchema, Type.Null()]),
        response: { 200: RegistryEventResponseSchema, ...ERROR_RESPONSES },
      },
      // @fastify/swagger documents every body schema as a required body, which this one is not.
      config: { swaggerTransform: ({ schema, url }) => ({ schema: withoutBody(schema), url }) },
    },
    async (request): Promise<RegistryEventResponse> => {
      const { name, alias } = request.params;
      const reason = request.body?.reason ?? request.query.reason;
      const input = { name, alias, ...(reason === undefined ? {} : { reason }) };
      return { event: await registry.deleteAlias(input, actorOf(request)) };
    },
  );
}

function registerLookups(app: FastifyInstance, registry: RegistryService): void {
  app.get<{ Params: AliasParams }>(
    '/models/:name/aliases/:alias',
    {
      schema: {
        summary: 'Get the version an alias points at',
        description: 'Served from a short-lived cache; 404 when the alias is not set.',
        tags,
        params: ModelAliasParamsSchema,
        response: { 200: ModelVersionResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ModelVersionResponse> => ({
      modelVersion: await registry.getVersionByAlias(request.params.name, request.params.alias),
    }),
  );

  app.get<{ Querystring: ResolveModelQuery }>(
    '/resolve',
    {
      schema: {
        summary: 'Resolve a models:/ URI to the version it names',
        description:
          'models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/latest or models:/<name>/<Stage>.',
        tags,
        querystring: ResolveModelQuerySchema,
        response: { 200: ModelVersionResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ModelVersionResponse> => ({
      modelVersion: await registry.resolveModelUri(request.query.uri, 'uri'),
    }),
  );

  app.get<{ Params: NameParams; Querystring: ModelHistoryQuery }>(
    '/models/:name/history',
    {
      schema: {
        summary: "A model's audited registry events, oldest first",
        description: 'Page with afterSeq (the last seq seen) and limit (default 1000).',
        tags,
        params: ModelNameParamsSchema,
        querystring: ModelHistoryQuerySchema,
        response: { 200: RegistryEventListResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<RegistryEventListResponse> => ({
      events: await registry.history(request.params.name, request.query),
    }),
  );

  app.get<{ Params: NameParams; Querystring: AliasesAtQuery }>(
    '/models/:name/aliases-at',
    {
      schema: {
        summary: 'What each alias pointed at, at a moment in the past',
        description:
          'at is ms since the epoch or an ISO 8601 time (2024-03-03, 2024-03-03T12:00:00Z); a time without ' +
          'a zone is UTC. An alias that was not set then has no version.',
        tags,
        params: ModelNameParamsSchema,
        querystring: AliasesAtQuerySchema,
        response: { 200: AliasesAtResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<AliasesAtResponse> => {
      const at = parseMoment(request.query.at, 'at');
      return { at, aliases: await registry.aliasesAt(request.params.name, at, request.query.alias) };
    },
  );

  app.get<{ Params: NameParams; Querystring: ContractDiffQuery }>(
    '/models/:name/contract-diff',
    {
      schema: {
        summary: "Compare two versions' contracts in a compatibility mode",
        description: '409 FAILED_PRECONDITION when either version has no contract.',
        tags,
        params: ModelNameParamsSchema,
        querystring: ContractDiffQuerySchema,
        response: { 200: ContractDiffResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ContractDiffResponse> => {
      const { from, to, mode } = request.query;
      const compatibility = await registry.diffContracts(
        request.params.name,
        validateVersion(from, 'from'),
        validateVersion(to, 'to'),
        mode,
      );
      return { compatibility };
    },
  );
}

function withoutBody(schema: FastifySchema): FastifySchema {
  const { body: _body, ...rest } = schema;
  return rest;
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * ms since the epoch from `1709467200000` or an ISO 8601 time. Zone-less times are read as UTC,
 * because the server's local zone says nothing about the caller's; `Date.parse` alone would also
 * accept prose and roll 2024-02-30 over into March.
 */
function parseMoment(text: string, field: string): number {
  const trimmed = text.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) : parseIso(trimmed);
  if (ms !== undefined && Number.isSafeInteger(ms) && ms >= 0) return ms;
  throw invalidArgument(
    field,
    `Invalid time '${text}' for '${field}': expected ms since the epoch or an ISO 8601 time such as 2024-03-03T12:00:00Z.`,
  );
}

function parseIso(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (!match) return undefined;
  const [, year = '', month = '', day = '', hour = '00', minute = '00', second = '00', fraction, zone] =
    match;
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1 || d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return undefined;
  const millis = fraction === undefined ? '' : `.${fraction.slice(0, 3).padEnd(3, '0')}`;
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${millis}${offsetOf(zone)}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `Z`, `+01`, `+0100` or `+01:00` as the `±hh:mm` form Date.parse requires; UTC when absent. */
function offsetOf(zone: string | undefined): string {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 'Z';
  const digits = zone.slice(1).replace(':', '');
  return `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
}
