/**
 * axe-core's WCAG 2.0/2.1 A and AA audit of a page in the browser tests. axe walks open shadow
 * roots, so the nnx-* components' content is audited with the document.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT } from './harness.ts';

const AXE = join(ROOT, 'node_modules/axe-core/axe.min.js');
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs the WCAG 2 A/AA rules on the whole document; one line per failing node (rule, impact, target, summary). */
export async function axeFindings(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  }, WCAG_AA);
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) ${JSON.stringify(n.target)}: ${v.help}. ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`));
}

/** Fails with every finding listed when the audit finds any. */
export async function expectNoAxeFindings(page: Page, label: string): Promise<void> {
  const found = await axeFindings(page);
  expect(found, `${label}: ${found.length} axe finding(s):\n${found.join('\n')}`).toEqual([]);
}
