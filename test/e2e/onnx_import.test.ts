/**
 * The Model Inspector's .onnx picker in headless Chromium: a Transformer encoder layer exported by
 * PyTorch (test/fixtures/onnx_import) imports in the page with PyTorch's parameter count; a file
 * that is not ONNX shows one line of error. Screenshots go to test-results/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESULTS, ROOT, useBrowser } from './harness.ts';

const browser = useBrowser('onnx-import');
const FIXTURES = join(ROOT, 'test/fixtures/onnx_import');
const CASES = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as { file: string; params: number }[];

describe('Model Inspector: import an .onnx file', () => {
  it('a PyTorch TransformerEncoderLayer export shows its layers and PyTorch\'s parameter count; junk is one line of error', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}#/model-inspector?model=custom`);
    await page.locator('details[data-role="onnx-import"] summary').click();
    await page.locator('input[name="onnx"]').setInputFiles(join(FIXTURES, 'encoder_post_op11.onnx'));
    const note = page.locator('[data-role="onnx-note"]');
    await note.waitFor({ timeout: 10_000 });
    expect(await note.innerText()).toMatch(/^encoder_post_op11\.onnx: 8 layers from ONNX opset 11, input \[7,3,8\]/);
    const params = page.locator('[data-role="total-params"]');
    await params.waitFor({ timeout: 10_000 });
    expect(Number(await params.getAttribute('data-value'))).toBe(CASES.find((c) => c.file === 'encoder_post_op11.onnx')!.params);
    expect((await page.locator('nnx-summary-table td').allInnerTexts()).join(' ')).toContain('MultiheadAttention');
    await page.screenshot({ path: join(RESULTS, 'model-inspector-onnx.png'), fullPage: true });

    await page.locator('input[name="onnx"]').setInputFiles({ name: 'junk.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from([1, 2, 3, 255, 255, 255]) });
    const error = page.locator('[data-role="onnx-note"].error');
    await error.waitFor({ timeout: 10_000 });
    const text = await error.innerText();
    expect(text.split('\n')).toHaveLength(1);
    expect(text).toMatch(/^junk\.onnx: not a valid ONNX file/);
    await page.screenshot({ path: join(RESULTS, 'model-inspector-onnx-error.png') });
    expect(consoleErrors).toEqual([]);
  });
});
