/** The monitoring API under `/api/v1`: monitors, their runs and series, alert rules, alerts, reference profiles. */
import {
  MONITOR_CHECK_KINDS,
  invalidArgument,
  type Alert,
  type AlertRule,
  type AlertState,
  type Monitor,
  type MonitorCheckKind,
  type MonitorRun,
} from '@slipway/contracts';
import type { FastifyInstance } from 'fastify';
import type { CreateAlertRuleRequest, CreateMonitorRequest, MonitorService } from './monitor-service.js';
import type { ReferenceProfile, SeriesPoint } from './monitoring-store.js';

const tags = ['monitoring'];

type Query = Record<string, unknown>;
interface MonitorParams {
  monitor: string;
}

/** Registers the monitoring routes (mounted under `/api/v1` with the native conventions). */
export function registerMonitoringRoutes(app: FastifyInstance, monitors: MonitorService): void {
  app.post<{ Body: CreateMonitorRequest }>(
    '/monitors',
    {
      schema: {
        summary:
          'Create a monitor: an endpoint, its checks against a reference profile, a window and a schedule',
        tags,
      },
    },
    async (request, reply): Promise<{ monitor: Monitor }> => {
      const monitor = await monitors.create(request.body);
      void reply.code(201);
      return { monitor };
    },
  );
  app.get<{ Querystring: Query }>(
    '/monitors',
    { schema: { summary: 'List monitors by name (filter: endpoint)', tags } },
    async (request): Promise<{ monitors: Monitor[] }> => ({
      monitors: await monitors.list(optionalString(request.query['endpoint'])),
    }),
  );
  app.get<{ Params: MonitorParams }>(
    '/monitors/:monitor',
    { schema: { summary: 'Get a monitor by id or name', tags } },
    async (request): Promise<{ monitor: Monitor }> => ({
      monitor: await monitors.get(request.params.monitor),
    }),
  );
  app.delete<{ Params: MonitorParams }>(
    '/monitors/:monitor',
    { schema: { summary: 'Delete a monitor with its runs, rules and alerts', tags } },
    async (request, reply) => {
      await monitors.delete(request.params.monitor);
      return reply.code(204).send();
    },
  );
  app.post<{ Params: MonitorParams }>(
    '/monitors/:monitor/run',
    {
      schema: { summary: 'Run a monitor now over its window; alerts fire or resolve from the result', tags },
    },
    async (request): Promise<{ run: MonitorRun }> => ({ run: await monitors.run(request.params.monitor) }),
  );
  app.get<{ Params: MonitorParams; Querystring: Query }>(
    '/monitors/:monitor/runs',
    { schema: { summary: "A monitor's runs with their statistics, newest first (limit, before)", tags } },
    async (request): Promise<{ runs: MonitorRun[] }> => ({
      runs: await monitors.runs(
        request.params.monitor,
        optionalInt(request.query['limit'], 'limit') ?? 20,
        optionalInt(request.query['before'], 'before'),
      ),
    }),
  );
  app.get<{ Params: { id: string } }>(
    '/monitor-runs/:id',
    { schema: { summary: 'Get one monitor run with its statistics', tags } },
    async (request): Promise<{ run: MonitorRun }> => ({ run: await monitors.getRun(request.params.id) }),
  );
  app.get<{ Params: MonitorParams; Querystring: Query }>(
    '/monitors/:monitor/series',
    {
      schema: { summary: 'One statistic over the runs, oldest first (name, column, check, from, to)', tags },
    },
    async (request): Promise<{ points: SeriesPoint[] }> => {
      const q = request.query;
      const check = optionalString(q['check']);
      if (check !== undefined && !(MONITOR_CHECK_KINDS as readonly string[]).includes(check)) {
        throw invalidArgument('check', `check must be one of ${MONITOR_CHECK_KINDS.join(', ')}`);
      }
      const column = optionalString(q['column']);
      const from = optionalInt(q['from'], 'from');
      const to = optionalInt(q['to'], 'to');
      return {
        points: await monitors.series(request.params.monitor, {
          name: optionalString(q['name']) ?? '',
          ...(column === undefined ? {} : { column }),
          ...(check === undefined ? {} : { check: check as MonitorCheckKind }),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
        }),
      };
    },
  );
  app.post<{ Params: MonitorParams; Body: CreateAlertRuleRequest }>(
    '/monitors/:monitor/rules',
    { schema: { summary: 'Add an alert rule: fire when matching statistics are flagged', tags } },
    async (request, reply): Promise<{ rule: AlertRule }> => {
      const rule = await monitors.createRule(request.params.monitor, request.body);
      void reply.code(201);
      return { rule };
    },
  );
  app.get<{ Params: MonitorParams }>(
    '/monitors/:monitor/rules',
    { schema: { summary: "A monitor's alert rules", tags } },
    async (request): Promise<{ rules: AlertRule[] }> => ({
      rules: await monitors.rules(request.params.monitor),
    }),
  );
  app.delete<{ Params: { id: string } }>(
    '/alert-rules/:id',
    { schema: { summary: 'Delete an alert rule with its alerts', tags } },
    async (request, reply) => {
      await monitors.deleteRule(request.params.id);
      return reply.code(204).send();
    },
  );
  app.get<{ Querystring: Query }>(
    '/alerts',
    { schema: { summary: 'Alerts newest first (monitor, state, limit), each with its evidence', tags } },
    async (request): Promise<{ alerts: Alert[] }> => {
      const monitor = optionalString(request.query['monitor']);
      const state = optionalString(request.query['state']);
      const limit = optionalInt(request.query['limit'], 'limit');
      return {
        alerts: await monitors.alerts({
          ...(monitor === undefined ? {} : { monitor }),
          ...(state === undefined ? {} : { state: state as AlertState }),
          ...(limit === undefined ? {} : { limit }),
        }),
      };
    },
  );
  app.post<{ Body: { model?: unknown; version?: unknown; rows?: unknown } }>(
    '/monitoring/reference-profiles',
    {
      schema: { summary: 'Profile rows as the reference of a model version (replaces an earlier one)', tags },
    },
    async (request, reply): Promise<{ reference: ReferenceProfile }> => {
      const body = request.body ?? {};
      if (typeof body.model !== 'string') throw invalidArgument('model', 'model is required');
      if (typeof body.version !== 'string') throw invalidArgument('version', 'version is required');
      const reference = await monitors.putReferenceRows(
        body.model,
        body.version,
        body.rows as Record<string, unknown>[],
      );
      void reply.code(201);
      return { reference };
    },
  );
  app.get<{ Params: { model: string; version: string } }>(
    '/monitoring/reference-profiles/:model/:version',
    { schema: { summary: 'The reference profile of a model version', tags } },
    async (request): Promise<{ reference: ReferenceProfile }> => ({
      reference: await monitors.reference(request.params.model, request.params.version),
    }),
  );
}

function optionalString(raw: unknown): string | undefined {
  return typeof raw === 'string' && raw !== '' ? raw : undefined;
}

function optionalInt(raw: unknown, field: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw invalidArgument(field, `${field} must be an integer`);
  return value;
}
