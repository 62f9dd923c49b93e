/**
 * `nnx train --data NAME`: the --json evals contract through the real binary, and one-line errors
 * from the same command in-process.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nnx, useInProcessNnx } from './nnx_cli.ts';

describe('nnx train --data NAME', () => {
  const cli = useInProcessNnx();

  test('karate --eval-every: steps and evals in --json', () => {
    const r = nnx(['train', 'gcn_karate', '--data', 'karate', '--steps', '4', '--eval-every', '2', '--optimizer', 'adam', '--lr', '0.05', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.steps.map((s: { step: number }) => s.step)).toEqual([1, 2, 3, 4]);
    expect(out.evals.map((e: { step: number }) => e.step)).toEqual([2, 4]);
    expect(Object.keys(out.evals[0])).toEqual(['step', 'train_loss', 'test_loss', 'test_accuracy']);
    expect(out.data.name).toBe('karate');
    expect(out.data.description).toContain('28 test nodes');
  });

  test.each([
    [['--data', 'adding:x'], 'nnx: --data adding:x: expected a whole number after "adding:", got "x"'],
    [['--data', 'sbm:3'], 'nnx: sbm: the node count must be an integer >= 8 (two per community), got 3'],
    [['--data', 'karate', '--data-dir', '/tmp'], 'nnx: --data-dir is for --data fashion-mnist, not karate'],
    [['--data', 'fashion-mnist', '--data-dir', '/nonexistent-nnx'], 'nnx: cannot read /nonexistent-nnx/train-images-idx3-ubyte.gz: ENOENT'],
    [['--data', 'text:/nonexistent-nnx.txt'], 'nnx: cannot read /nonexistent-nnx.txt: ENOENT'],
    [['--data', 'fashion-mnist'], "nnx: --data fashion-mnist is not a graph, but the model has graph layers"],
    [['--eval-every', '3'], 'nnx: train: --eval-every needs a named data set with a test split (--data fashion-mnist, adding:T, copy:T, text, text:FILE, karate, sbm:V)'],
    [['--data-dir', '/tmp'], 'nnx: train: --data-dir needs --data fashion-mnist'],
  ])('gcn_karate %j', async (args, message) => {
    const r = await cli(['train', 'gcn_karate', ...args]);
    expect(r.stderr).toBe(message);
    expect(r.status).toBe(1);
  });

  test('a model whose input does not fit the images', async () => {
    const spec = join(mkdtempSync(join(tmpdir(), 'nnx-train-data-')), 'rgb.json');
    writeFileSync(spec, JSON.stringify({ name: 'rgb', input: [4, 3, 32, 32], layers: [{ type: 'Flatten' }, { type: 'Linear', in_features: 3072, out_features: 10 }] }));
    const r = await cli(['train', spec, '--data', 'fashion-mnist', '--batch', '8']);
    expect(r.stderr).toBe("nnx: --data fashion-mnist gives [8, 1, 28, 28], the model's input is [4, 3, 32, 32] (expected [N, 1, 28, 28])");
    expect(r.status).toBe(1);
  });
});
