import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { exitOnShutdownSignals, stopParts } from '../../src/cli/shutdown.ts';

const silent = pino({ level: 'silent' });

function setup(stop: () => Promise<void>, hardDeadlineMs = 200) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  let stops = 0;
  const remove = exitOnShutdownSignals({
    logger: silent,
    stop: () => {
      stops++;
      return stop();
    },
    hardDeadlineMs,
    exit: (code) => exits.push(code),
    signals,
  });
  return { signals, exits, stops: () => stops, remove };
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('exitOnShutdownSignals', () => {
  const graceful: { name: string; input: 'SIGTERM' | 'SIGINT'; want: number[] }[] = [
    { name: 'SIGTERM (Kubernetes) stops once and exits 0', input: 'SIGTERM', want: [0] },
    { name: 'SIGINT (Ctrl-C) stops once and exits 0', input: 'SIGINT', want: [0] },
  ];
  for (const row of graceful) {
    it(row.name, async () => {
      const run = setup(() => Promise.resolve());
      run.signals.emit(row.input, row.input);
      await tick();
      expect(run.exits).toEqual(row.want);
      expect(run.stops()).toBe(1);
    });
  }

  it('exits 1 when stopping fails', async () => {
    const run = setup(() => Promise.reject(new Error('dashboard close failed')));
    run.signals.emit('SIGTERM', 'SIGTERM');
    await tick();
    expect(run.exits).toEqual([1]);
  });

  it('exits 1 at the hard deadline when stopping hangs', async () => {
    const run = setup(() => new Promise(() => {}), 50);
    run.signals.emit('SIGTERM', 'SIGTERM');
    await tick(20);
    expect(run.exits).toEqual([]);
    await tick(80);
    expect(run.exits).toEqual([1]);
  });

  it('a second signal exits 1 at once without stopping again', async () => {
    const run = setup(() => new Promise(() => {}), 10_000);
    run.signals.emit('SIGTERM', 'SIGTERM');
    run.signals.emit('SIGINT', 'SIGINT');
    expect(run.exits).toEqual([1]);
    expect(run.stops()).toBe(1);
    run.remove();
  });

  it('the returned function removes the handlers', () => {
    const run = setup(() => Promise.resolve());
    run.remove();
    expect(run.signals.listenerCount('SIGTERM') + run.signals.listenerCount('SIGINT')).toBe(0);
  });
});

describe('stopParts', () => {
  it('stops every part at once and waits for them', async () => {
    const stopped: string[] = [];
    const part = (name: string, ms: number) => ({ name, stop: () => tick(ms).then(() => void stopped.push(name)) });
    const startedMs = Date.now();
    await stopParts([part('grpc', 60), part('dashboard', 60), part('demo', 0)], { logger: silent, graceMs: 1000 });
    expect(stopped.sort()).toEqual(['dashboard', 'demo', 'grpc']);
    expect(Date.now() - startedMs).toBeLessThan(500);
  });

  it('goes on without a part that hangs past the grace, or fails', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const startedMs = Date.now();
    await stopParts(
      [
        { name: 'forecast-refits', stop: () => new Promise<void>(() => {}) },
        { name: 'alerts', stop: () => Promise.reject(new Error('slack queue stuck')) },
        { name: 'grpc', stop: () => undefined },
      ],
      { logger, graceMs: 50 },
    );
    expect(Date.now() - startedMs).toBeLessThan(1000);
    const entries = lines.map((line) => JSON.parse(line) as { part: string; msg: string });
    expect(entries.map((entry) => [entry.part, entry.msg]).sort()).toEqual([
      ['alerts', 'part failed to stop'],
      ['forecast-refits', 'part did not stop in time; exiting without waiting for it'],
    ]);
  });
});
