import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRODUCTION_MALLOC_ARENA_MAX, PRODUCTION_NODE_OPTIONS } from '../../src/keda/production-runtime.ts';

const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');

describe('production runtime settings', () => {
  it('the image runs Node with the memory settings bench:grpc measures', () => {
    expect(dockerfile).toContain(`NODE_OPTIONS="${PRODUCTION_NODE_OPTIONS.join(' ')}"`);
    expect(dockerfile).toContain(`MALLOC_ARENA_MAX=${PRODUCTION_MALLOC_ARENA_MAX}`);
  });
});
