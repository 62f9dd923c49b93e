import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { loadDevice, parseShapeArg, parseSummaryArgs, summaryCommand } from '../../src/cli/summary.ts';

/** `nnx summary` through summaryCommand (what src/cli/main.ts calls), stdout captured. */
let out: string[] = [];
beforeEach(() => {
  out = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    out.push(args.join(' '));
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const run = async (...argv: string[]): Promise<string> => {
  await summaryCommand(argv);
  return out.join('\n');
};
const dir = mkdtempSync(join(tmpdir(), 'nnx-summary-'));
const file = (name: string, content: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

describe('nnx summary', () => {
  it('prints the table for a zoo model', async () => {
    const text = await run('resnet50');
    expect(text).toContain('Model: resnet50');
    expect(text).toContain('Total params:         25,557,032');
    expect(text).toContain('Total MACs:           4,089,184,256 (4.09 GMACs)');
    expect(text).toMatch(/training peak +\d+\.\d\d MB \(\d+\.\d\d MiB\)/);
  });

  it('--json: output_shape, layers[] and totals with raw numbers', async () => {
    const r = JSON.parse(await run('vit_b_16', '--json'));
    expect(r.output_shape).toEqual([1, 1000]);
    expect(r.totals).toMatchObject({ params: 86_567_656, trainable_params: 86_567_656, non_trainable_params: 0 });
    for (const key of ['macs', 'flops', 'param_bytes', 'activation_bytes', 'training_peak_bytes']) expect(typeof r.totals[key]).toBe('number');
    const attn = r.layers.find((l: { name: string }) => l.name === 'encoder.layers.encoder_layer_0.self_attention');
    expect(attn).toMatchObject({ type: 'MultiheadAttention', output_shape: [1, 197, 768], params: 2_362_368 });
    expect(Math.abs(r.totals.macs / 17.56e9 - 1)).toBeLessThan(0.01);
  });

  it('--batch, --input, --dtype, --optimizer scale what they should', async () => {
    const base = JSON.parse(await run('lenet5', '--json'));
    out = [];
    const r = JSON.parse(await run('lenet5', '--batch', '8', '--dtype=fp16', '--optimizer', 'sgd', '--json'));
    expect(r.input_shape).toEqual([8, 1, 28, 28]);
    expect(r.totals.macs).toBe(8 * base.totals.macs);
    expect(r.totals.param_bytes).toBe(61_706 * 2);
    expect(r.memory).toMatchObject({ dtype: 'fp16', optimizer: 'sgd', optimizer_state_bytes: 0 });
    out = [];
    const wide = JSON.parse(await run('resnet18', '--input', '2,3,32,32', '--json'));
    expect(wide.output_shape).toEqual([2, 1000]);
    expect(wide.layers.find((l: { name: string }) => l.name === 'layer4').output_shape).toEqual([2, 512, 1, 1]);
  });

  it('reads a spec file; --spec prints a zoo model\'s spec that summarizes the same', async () => {
    const path = file('net.json', {
      name: 'SingleInputNet', input: [2, 1, 28, 28], layers: [
        { type: 'Conv2d', in_channels: 1, out_channels: 10, kernel_size: 5 },
        { type: 'MaxPool2d', kernel_size: 2 }, { type: 'ReLU' },
        { type: 'Flatten' }, { type: 'Linear', in_features: 1440, out_features: 10 }],
    });
    const r = JSON.parse(await run(path, '--json'));
    expect(r.model).toBe('SingleInputNet');
    expect(r.totals.params).toBe(14_670);
    out = [];
    const spec = await run('mobilenet_v2', '--spec');
    out = [];
    const again = JSON.parse(await run(file('mnv2.json', spec), '--json'));
    expect(again.totals.params).toBe(3_504_872);
  });

  it('--device: built-in name or a measured JSON profile; --depth folds rows', async () => {
    const text = await run('lenet5', '--device', 'rtx-4090', '--depth', '1');
    expect(text).toContain('Roofline on NVIDIA GeForce RTX 4090');
    out = [];
    const profile = file('local.json', { name: 'local adapter', peak_flops: { fp32: 1e12 }, bandwidth_bytes_per_s: 1e11, source: 'nnx bench' });
    const r = JSON.parse(await run('lenet5', '--device', profile, '--json'));
    expect(r.device.name).toBe('local adapter');
    expect(r.roofline.time_s).toBeGreaterThan(0);
    expect(r.layers[0].roofline.bound).toMatch(/compute|memory/);
  });

  it('--list and --help', async () => {
    expect(await run('--list')).toMatch(/^resnet18 +torchvision ResNet-18/);
    out = [];
    expect(await run('--help')).toContain('usage: nnx summary MODEL|SPEC.json');
  });
});

describe('nnx summary argument errors are InputErrors with one line', () => {
  const cases: [string[], string | RegExp][] = [
    [[], 'summary needs a model name or a spec file (nnx summary --list; nnx summary --help)'],
    [['lenet5', '--foo'], 'unknown option "--foo" for summary (options: --input, --batch, --dtype, --optimizer, --device, --depth, --print, --parallel, --gpus, --precision, --params, --json, --spec, --list)'],
    [['lenet5', 'vgg16'], 'summary takes one model, got "lenet5" and "vgg16"'],
    [['lenet5', '--batch'], '--batch needs a value (nnx summary --help)'],
    [['lenet5', '--batch', '0'], '--batch must be a positive integer, got "0"'],
    [['lenet5', '--depth', 'x'], '--depth must be a positive integer, got "x"'],
    [['lenet5', '--input', '1,a,28'], '--input must be positive integers separated by commas, such as 1,3,224,224, got "1,a,28"'],
    [['lenet5', '--json=yes'], '--json takes no value'],
    [['lenet5', '--dtype', 'fp64'], '--dtype must be one of fp32, fp16, bf16, int8, got "fp64"'],
    [['lenet5', '--optimizer', 'lamb'], '--optimizer must be one of sgd, momentum, adam, got "lamb"'],
    [['lenet5', '--device', 'tpu-v9'], /^unknown device "tpu-v9"/],
    [['no_such_model'], /^"no_such_model" is neither a zoo model \(resnet18, .*\) nor a spec file that exists$/],
    [['gcn_karate', '--batch', '4'], 'model "gcn_karate" has no batch dimension (its input [34, 34] is a whole graph)'],
    [['lenet5', '--input', '1,1,4,4'], /^layer "conv2" \(Conv2d\): kernel 5×5 \(dilated\) is larger than the padded input 2×2/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' ') || '(no arguments)', async () => {
      const p = summaryCommand(argv);
      await expect(p).rejects.toBeInstanceOf(InputError);
      await expect(p).rejects.toThrow(message);
    });
  }
  it('bad files', async () => {
    await expect(summaryCommand([file('broken.json', '{"input": [1, ')])).rejects.toThrow(/broken\.json: not valid JSON/);
    await expect(summaryCommand([file('bad.json', { input: [1, 4], layers: [{ type: 'Linear', in_features: 3, out_features: 2 }] })]))
      .rejects.toThrow('layer "0" (Linear): in_features 3 does not match the input [1, 4], whose last dimension is 4');
    expect(() => loadDevice(file('dev.json', '{'))).toThrow(/dev\.json: not valid JSON/);
    expect(() => loadDevice(join(dir, 'missing.json'))).toThrow(/^cannot read ".*missing\.json": /);
  });
  it('parsers', () => {
    expect(parseShapeArg('1x3x224x224')).toEqual([1, 3, 224, 224]);
    expect(parseSummaryArgs(['m', '--input=2,3', '--json'])).toMatchObject({ model: 'm', input: [2, 3], json: true });
  });
});

describe('the nnx binary', () => {
  it('an impossible configuration exits 1 with one line on stderr and no stack trace', () => {
    const spec = file('groups.json', { input: [2, 1, 28, 28], layers: [{ type: 'Conv2d', in_channels: 1, out_channels: 4, kernel_size: 3, groups: 2 }] });
    const bin = fileURLToPath(new URL('../../bin/nnx.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'summary', spec], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^[^\n]*layer "0" \(Conv2d\): in_channels 1 is not divisible by groups 2\n$/);
  });
});
