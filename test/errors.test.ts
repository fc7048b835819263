import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, type ErrorCode } from '../src/errors.ts';
import { docSection } from './support/docs.ts';

const errorTable = docSection('docs/configuration.md', 'Errors');

describe('error catalogue', () => {
  for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) {
    const spec = ERROR_CATALOGUE[code];
    it(`${code} is documented in the error table of docs/configuration.md with its statuses and remedy`, () => {
      const row = errorTable.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, `docs/configuration.md ## Errors has no row for ${code}`).toBeDefined();
      const [, grpcName, httpStatus, remedy] = row!.split(' | ').map((cell) => cell.trim());
      expect(grpcName).toBe(GrpcStatus[spec.grpcStatus]);
      expect(Number(httpStatus)).toBe(spec.httpStatus);
      expect(remedy?.replace(/ \|$/, '')).toBe(spec.remedy);
    });
  }

  it('has no documented row for a code that no longer exists', () => {
    const documented = [...errorTable.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
  });
});
