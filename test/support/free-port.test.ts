// Ports handed out for processes a test starts must differ: the kernel picks a released port at random
// and may pick it again before its user binds it (500 picks here gave 11–18 repeats).
import { describe, expect, it } from 'vitest';
import { freePort } from './free-port.ts';

describe('freePort', () => {
  it('never hands out the same port twice in one process', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 500; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });
});
