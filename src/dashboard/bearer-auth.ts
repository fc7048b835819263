// The dashboard's optional bearer token (server config `http.bearerTokenFile`, RFC 6750 header form).
// Compared in constant time so response timing does not reveal how much of a guess was right.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ScalerError } from '../errors.ts';

/** Decides whether a request's Authorization header carries the configured token. */
export interface BearerCheck {
  /** True when no token is configured (open dashboard) or the header holds the token. */
  allows(authorizationHeader: string | undefined): boolean;
}

const OPEN: BearerCheck = { allows: () => true };

function digest(text: string): Buffer {
  // Hashing first gives both sides the same length, which timingSafeEqual requires.
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Builds the check for one token; an empty or whitespace-only token is rejected, never treated as "open". */
export function bearerCheckFor(token: string): BearerCheck {
  const expected = digest(token);
  return {
    allows(header) {
      const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
      const offered = digest(match?.[1] ?? '');
      // Always compare, even when the header is absent, so every rejection costs the same.
      return timingSafeEqual(offered, expected) && match !== null;
    },
  };
}

/** Reads the token file once at start-up (restart to rotate). Throws INVALID_SERVER_CONFIG naming the field. */
export async function loadBearerCheck(bearerTokenFile: string | undefined): Promise<BearerCheck> {
  if (bearerTokenFile === undefined) return OPEN;
  let text: string;
  try {
    text = await readFile(bearerTokenFile, 'utf8');
  } catch (error) {
    throw new ScalerError('INVALID_SERVER_CONFIG', `http.bearerTokenFile: cannot read ${bearerTokenFile}: ${(error as Error).message}`);
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) {
    throw new ScalerError('INVALID_SERVER_CONFIG', `http.bearerTokenFile: ${bearerTokenFile} must hold one token without spaces`);
  }
  return bearerCheckFor(token);
}
