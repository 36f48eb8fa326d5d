/**
 * A small fetch wrapper for CoffeeChat's HTTP APIs (SPEC §5): bearer token from a token source, JSON
 * in and out, a deadline on every call, and the error envelope turned into an `ApiError`.
 */
import { resolveToken, type TokenSource } from './token.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** the envelope's code (`BAD_REQUEST`, `NOT_FOUND`, …), or `NETWORK` / `TIMEOUT` when no answer came */
    readonly code: string,
    message: string,
    /** seconds, from a 429's `Retry-After` */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpApiOptions {
  /** e.g. `http://localhost:8081` */
  baseUrl: string;
  token: TokenSource;
  /** default: the global fetch */
  fetch?: FetchLike;
  /** a call with no answer after this long fails with TIMEOUT; default 10 s */
  timeoutMs?: number;
}

export type Query = Record<string, string | number | undefined>;

export class HttpApi {
  private readonly fetchFn: FetchLike;
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpApiOptions) {
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  async request<T>(method: string, path: string, { query = {}, body }: { query?: Query; body?: unknown } = {}) {
    const url = new URL(path, this.options.baseUrl);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { authorization: `Bearer ${await resolveToken(this.options.token)}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchFn(url.toString(), {
        method,
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      const timedOut = (err as { name?: string }).name === 'TimeoutError';
      throw new ApiError(0, timedOut ? 'TIMEOUT' : 'NETWORK', `${method} ${url.pathname}: ${String(err)}`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!res.ok) {
      let code = 'HTTP_ERROR';
      let message = text.slice(0, 200) || res.statusText;
      try {
        const envelope = JSON.parse(text) as { error?: { code?: string; message?: string } };
        code = envelope.error?.code ?? code;
        message = envelope.error?.message ?? message;
      } catch {
        // not the JSON envelope (a proxy's page, …): keep the raw text
      }
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new ApiError(
        res.status,
        code,
        message,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
