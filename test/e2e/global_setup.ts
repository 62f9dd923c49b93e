/**
 * vitest globalSetup: names this test run for the e2e harness, which builds the app and the
 * library once per run into test-results/e2e-dist-<run>/ (see harness.ts), and removes that
 * folder when the run ends. Nothing is built here, so runs without browser tests pay nothing.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const RESULTS = join(resolve(fileURLToPath(import.meta.url), '../../..'), 'test-results');

export default function setup(project: TestProject): () => void {
  const run = `${process.pid}-${Date.now()}`;
  project.provide('e2eRunId', run);
  return () => rmSync(join(RESULTS, `e2e-dist-${run}`), { recursive: true, force: true });
}
