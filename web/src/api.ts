// Every request of the dashboard goes through this module, so that authentication lives in one
// place: a bearer token kept in sessionStorage is sent with each call, and a 401 asks for a token
// once and retries the request.
import type { ErrorDetail } from './types';
import { askForToken } from './components/token-dialog';

export const API_BASE = '/api';
const TOKEN_KEY = 'rallyuxr.token';

/** An API failure: the contract's error envelope, or a network/parse problem (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function token(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function normaliseDetails(details: unknown): ErrorDetail[] {
  if (Array.isArray(details)) {
    return details
      .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null)
      .map((d) => ({
        path: Array.isArray(d.path) ? (d.path as (string | number)[]) : String(d.path ?? ''),
        message: String(d.message ?? 'Invalid value'),
        code: typeof d.code === 'string' ? d.code : undefined,
      }));
  }
  if (details && typeof details === 'object') {
    // Also accept {field: message} maps.
    return Object.entries(details as Record<string, unknown>).map(([path, message]) => ({
      path,
      message: Array.isArray(message) ? message.join(' ') : String(message),
    }));
  }
  return [];
}

/** A body sent as is, with its own content type (CSV uploads). */
class RawBody {
  constructor(readonly text: string, readonly type: string) {}
}

async function send(method: string, path: string, body?: unknown, retried = false): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    if (body instanceof RawBody) {
      headers['Content-Type'] = body.type;
      payload = body.text;
    } else {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
  }
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let res: Response;
  try {
    res = await fetch(API_BASE + path, { method, headers, body: payload });
  } catch (e) {
    window.dispatchEvent(new CustomEvent('rallyuxr:offline'));
    throw new ApiError(0, 'NETWORK_ERROR', 'The server could not be reached. The page retries by itself once it is back.');
  }
  if (res.status === 401 && !retried) {
    const entered = await askForToken(t !== null);
    if (entered !== null) {
      try {
        sessionStorage.setItem(TOKEN_KEY, entered);
      } catch {
        /* storage unavailable: the token lasts for this retry only */
      }
      return send(method, path, body, true);
    }
  }
  return res;
}

async function toError(res: Response): Promise<ApiError> {
  let parsed: unknown = null;
  try {
    parsed = await res.json();
  } catch {
    /* not JSON */
  }
  const err = (parsed as { error?: Record<string, unknown> } | null)?.error;
  if (err) {
    return new ApiError(
      res.status,
      String(err.code ?? 'ERROR'),
      String(err.message ?? res.statusText),
      normaliseDetails(err.details),
      err.requestId ? String(err.requestId) : res.headers.get('X-Request-Id') ?? undefined,
    );
  }
  return new ApiError(res.status, 'HTTP_' + res.status, `${res.status} ${res.statusText}`.trim(), [],
    res.headers.get('X-Request-Id') ?? undefined);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  let parsed: { success?: boolean; data?: T };
  try {
    parsed = await res.json();
  } catch {
    throw new ApiError(res.status, 'BAD_RESPONSE', 'The server sent a response that is not JSON.');
  }
  return parsed.data as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  upload: <T>(method: 'PUT' | 'POST', path: string, text: string, contentType: string) =>
    request<T>(method, path, new RawBody(text, contentType)),
};

/** Downloads a file from the API (with the token) and saves it under the server's file name. */
export async function download(path: string, fallbackName: string, opts: { prefix?: string } = {}): Promise<void> {
  const res = await send('GET', path);
  if (!res.ok) throw await toError(res);
  const blob = await res.blob();
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : fallbackName;
  saveBlob(blob, (opts.prefix ?? '') + name);
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** "metrics.0" or ["metrics", 0] -> ["metrics", "0"]. */
export function detailPath(d: ErrorDetail): string[] {
  if (Array.isArray(d.path)) return d.path.map(String);
  return d.path.split(/[.[\]]+/).filter((s) => s !== '');
}
