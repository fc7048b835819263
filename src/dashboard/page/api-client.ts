// The page's only way to the server: same-origin fetches of the JSON API, with the bearer token the
// person typed in (kept for this browser tab only, in sessionStorage).

const TOKEN_KEY = 'otel-gateway-scaler.dashboard-token';

/** An API answer other than 2xx, with the error code and message the server gave. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  if (token) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `the server answered ${response.status}`);
  }
  return body as T;
}

export function getJson<T>(path: string): Promise<T> {
  return request<T>(path);
}

export function postJson<T>(path: string, value: unknown): Promise<T> {
  return request<T>(path, { method: 'POST', body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });
}

/** /api/targets/{namespace}/{name}{suffix}, with both names encoded. */
export function targetPath(namespace: string, name: string, suffix = ''): string {
  return `/api/targets/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${suffix}`;
}
