/** Calls MLflow REST endpoints of a test platform in-process, the way MLflow's client sends them. */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

/** One endpoint's answer: status, parsed JSON body and raw text. */
export interface MlflowAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions walk arbitrary JSON
  body: any;
  text: string;
}

/** The HTTP methods MLflow's REST API uses. */
export type MlflowMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Endpoint callers bound to one platform; paths are relative to `<prefix>/mlflow/`. */
export interface MlflowApi {
  /** Calls an endpoint: GET fields go in the query string (arrays repeated), others in a JSON body. */
  call(
    method: MlflowMethod,
    path: string,
    fields?: Record<string, unknown>,
    prefix?: string,
  ): Promise<MlflowAnswer>;
  /** Calls an endpoint that must succeed and returns its body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see MlflowAnswer.body
  ok(method: MlflowMethod, path: string, fields?: Record<string, unknown>): Promise<any>;
  /** Calls an endpoint that must fail with `status` and MLflow `errorCode`; returns the message. */
  fails(
    method: MlflowMethod,
    path: string,
    fields: Record<string, unknown>,
    status: number,
    errorCode: string,
  ): Promise<string>;
}

/** Callers for the platform `app()` returns (a getter, since test files start it in beforeAll). */
export function mlflowApi(app: () => FastifyInstance): MlflowApi {
  async function call(
    method: MlflowMethod,
    path: string,
    fields: Record<string, unknown> = {},
    prefix = '/api/2.0',
  ): Promise<MlflowAnswer> {
    const url = `${prefix}/mlflow/${path}`;
    const res =
      method === 'GET'
        ? await app().inject({ method, url: `${url}?${queryOf(fields)}` })
        : await app().inject({ method, url, payload: fields });
    expect(res.headers['content-type'], `${method} ${path}`).toContain('application/json');
    return { status: res.statusCode, body: res.json(), text: res.body };
  }

  return {
    call,
    async ok(method, path, fields = {}) {
      const res = await call(method, path, fields);
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(200);
      return res.body;
    },
    async fails(method, path, fields, status, errorCode) {
      const res = await call(method, path, fields);
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(status);
      expect(res.body.error_code).toBe(errorCode);
      expect(Object.keys(res.body)).toEqual(['error_code', 'message']);
      return res.body.message as string;
    },
  };
}

/** `fields` as a query string, repeating the name of each array item as MLflow's client does. */
export function queryOf(fields: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    for (const item of Array.isArray(v) ? v : [v]) query.append(k, String(item));
  }
  return query.toString();
}

let uid = 0;

/** A name no earlier call in this process returned, so tests sharing one platform never collide. */
export function uniqueName(prefix: string): string {
  uid += 1;
  return `${prefix}-${process.pid}-${uid}`;
}
