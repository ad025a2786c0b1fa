/** Calls the native `/api/v1` endpoints of a test platform in-process. */
import type { FastifyInstance } from 'fastify';

/** The HTTP methods the native API uses. */
export type NativeMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** One endpoint's answer: status and parsed JSON body (`{}` when the body is empty). */
export interface NativeReply {
  status: number;
  body: Record<string, unknown>;
}

/** Calls `/api/v1<url>` with an optional JSON payload and headers. */
export type NativeCall = (
  method: NativeMethod,
  url: string,
  payload?: unknown,
  headers?: Record<string, string>,
) => Promise<NativeReply>;

/** A caller for the platform `app()` returns (a getter, since test files start it in beforeAll). */
export function nativeApi(app: () => FastifyInstance): NativeCall {
  return async (method, url, payload, headers) => {
    const res = await app().inject({
      method,
      url: `/api/v1${url}`,
      ...(headers === undefined ? {} : { headers }),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return {
      status: res.statusCode,
      body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {},
    };
  };
}
