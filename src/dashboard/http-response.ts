// How the dashboard answers: JSON bodies, errors as `{ error: { code, message } }` with the HTTP status
// from ERROR_CATALOGUE, and the same security headers on every response.
import type { ServerResponse } from 'node:http';
import { ERROR_CATALOGUE, type ErrorCode, ScalerError } from '../errors.ts';

/** Only our own script and style may run on the page; nothing may frame it (the page changes nothing, but still). */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The JSON error body every dashboard error uses; `code` is a key of ERROR_CATALOGUE. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

/** Writes `body` with a status and content type, plus the security headers. */
export function send(response: ServerResponse, status: number, contentType: string, body: string | Uint8Array, headers: Readonly<Record<string, string>> = {}): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, ...headers });
  response.end(body);
}

export function sendJson(response: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
}

/** Translates a ScalerError with its catalogue entry; anything else is a bug and answers 500 without details. */
export function sendError(response: ServerResponse, error: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (error instanceof ScalerError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    const retryAfter: Record<string, string> = error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
    sendJson(response, ERROR_CATALOGUE[error.code].httpStatus, body, { ...retryAfter, ...headers });
    return;
  }
  const body: ErrorBody = { error: { code: 'INTERNAL_ERROR', message: 'internal error; the scaler log has the details' } };
  sendJson(response, 500, body, headers);
}
