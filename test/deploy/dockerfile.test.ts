import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readDockerfile } from './support/dockerfile.ts';
import { CHART_DIR, findManifest, renderChart } from './support/helm.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const dockerfile = readDockerfile();
const finalStage = dockerfile.slice(dockerfile.findLastIndex((instruction) => instruction.keyword === 'FROM'));
const last = (keyword: string) => finalStage.findLast((instruction) => instruction.keyword === keyword)?.argument;
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

/** The facts the Kubernetes manifests must agree with. */
const IMAGE_FACTS = {
  /** USER uid:gid of the final stage. */
  user: (last('USER') ?? '').split(':').map(Number),
  /** ENTRYPOINT in exec form. */
  entrypoint: JSON.parse(last('ENTRYPOINT') ?? 'null') as string[] | null,
  baseImages: dockerfile.filter((instruction) => instruction.keyword === 'FROM').map((instruction) => instruction.argument.split(/\s+/)[0]!),
};

describe('the Dockerfile', () => {
  it('builds every stage on one maintained Node LTS (22 or 24) image', () => {
    expect(IMAGE_FACTS.baseImages.length).toBeGreaterThanOrEqual(2);
    expect(new Set(IMAGE_FACTS.baseImages).size).toBe(1);
    expect(IMAGE_FACTS.baseImages[0]).toMatch(/^node:(22|24)-slim$/);
  });

  it('runs the built entry point with node in exec form, so signals reach node (no shell, npm or tsx)', () => {
    expect(IMAGE_FACTS.entrypoint).toEqual(['node', Object.values(packageJson.bin)[0]]);
    expect(finalStage.some((instruction) => instruction.keyword === 'CMD')).toBe(false);
  });

  it('installs production dependencies only in what it ships, and copies the build', () => {
    const copies = finalStage.filter((instruction) => instruction.keyword === 'COPY').map((instruction) => instruction.argument);
    const dependencyStage = /--from=(\S+) \/app\/node_modules/.exec(copies.join('\n'))?.[1];
    const stageStart = dockerfile.findIndex((instruction) => instruction.keyword === 'FROM' && instruction.argument.endsWith(` AS ${dependencyStage}`));
    const install = dockerfile.slice(stageStart + 1).find((instruction) => instruction.keyword === 'RUN')?.argument;
    expect(install).toMatch(/^npm ci --omit=dev\b/);
    expect(copies).toEqual(expect.arrayContaining([expect.stringMatching(/^--from=build \/src\/dist \.\/dist$/)]));
    expect(finalStage.filter((instruction) => instruction.keyword === 'RUN')).toEqual([]);
  });

  it('runs as a numeric non-root user and group', () => {
    expect(IMAGE_FACTS.user).toHaveLength(2);
    for (const id of IMAGE_FACTS.user) expect(Number.isInteger(id) && id > 0).toBe(true);
  });

  it('copies only sources that exist', () => {
    for (const { argument } of dockerfile.filter((instruction) => instruction.keyword === 'COPY' && !instruction.argument.startsWith('--from'))) {
      for (const source of argument.split(/\s+/).slice(0, -1)) expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
  });
});

describe('deploy/base runs the image as built', () => {
  const deployment = parseYaml(readFileSync(join(ROOT, 'deploy/base/scaler-deployment.yaml'), 'utf8'));
  const podSecurity = deployment.spec.template.spec.securityContext;
  const container = deployment.spec.template.spec.containers[0];

  it("as the image's user, with the image's entry point", () => {
    expect([podSecurity.runAsUser, podSecurity.runAsGroup]).toEqual(IMAGE_FACTS.user);
    expect(container.command).toBeUndefined();
  });
});

describe('the Helm chart runs the image as built', () => {
  const chart = parseYaml(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
  const pod = findManifest(renderChart(), 'Deployment').spec.template.spec;
  const container = pod.containers[0];

  it("as the image's user and group", () => {
    expect([pod.securityContext.runAsUser, pod.securityContext.runAsGroup]).toEqual(IMAGE_FACTS.user);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
  });

  it("with the image's entry point (no command override, so node gets the signals)", () => {
    expect(container.command).toBeUndefined();
    expect(container.args[0]).toBe('--config');
  });

  it('the image of this version: tag = appVersion = package.json version, built on the Dockerfile\'s Node LTS', () => {
    expect(container.image).toBe(`otel-gateway-scaler:${packageJson.version}`);
    expect(chart.appVersion).toBe(packageJson.version);
    expect(IMAGE_FACTS.baseImages[0]).toMatch(/^node:(22|24)-slim$/);
  });
});
