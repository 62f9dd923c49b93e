import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { analyzeModel } from '../../src/analysis/graph.ts';
import type { LayerSpec } from '../../src/analysis/model_spec.ts';
import { buildSummary } from '../../src/analysis/summary.ts';
import { parsePyArgs, parseTorchPrint, summarizeTorchPrint } from '../../src/analysis/torch_print.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';
import { nnx } from '../cli/nnx_cli.ts';

/** Written by test/fixtures/generate_torch_print.py from PyTorch / torchvision (see that script). */
interface PrintCase { file: string; params: number; input?: number[]; macs?: number }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/torch_print_cases.json', import.meta.url), 'utf8')) as { models: Record<string, PrintCase> };
const text = (c: PrintCase): string => readFileSync(new URL(`../fixtures/${c.file}`, import.meta.url), 'utf8');
const fixturePath = (name: string): string => new URL(`../fixtures/${fixture.models[name].file}`, import.meta.url).pathname;

function countType(layers: LayerSpec[], type: string): number {
  let n = 0;
  for (const l of layers) {
    if (l.type === type) n++;
    for (const key of ['layers', 'body'] as const) if (Array.isArray(l[key])) n += countType(l[key] as LayerSpec[], type);
  }
  return n;
}

describe('print(model) parameters equal PyTorch\'s', () => {
  for (const [name, c] of Object.entries(fixture.models)) {
    it(name, () => {
      const r = parseTorchPrint(text(c), { input: c.input });
      expect(r.params).toBe(c.params);
      expect(r.params_exact).toBe(true);
      expect(r.unknown_modules).toEqual([]);
      expect(r.children.reduce((s, ch) => s + ch.params, 0)).toBe(c.params);
      if (name === 'param_containers') return;
      expect(r.unplaced).toEqual([]);
      expect(r.spec).not.toBeNull();
    });
  }

  it('ParameterList / ParameterDict entries count, and are named where no chain can hold them', () => {
    const r = parseTorchPrint(text(fixture.models.param_containers));
    expect(r.spec).toBeNull();
    expect(r.unplaced.map((i) => [i.path, i.line])).toEqual([['pl.0', 3], ['pl.1', 4], ['pd.a', 6], ['up', 20]]);
  });
});

describe('print(model) shapes and MACs', () => {
  for (const [name, c] of Object.entries(fixture.models).filter(([, m]) => m.macs !== undefined)) {
    it(`${name}: conv and linear MACs equal the PyTorch forward's on ${c.input!.join('×')}`, () => {
      const r = summarizeTorchPrint(text(c), c.input!);
      expect(r.unplaced).toEqual([]);
      expect(r.summary!.totals.macs).toBe(c.macs);
      expect(r.summary!.totals.params).toBe(c.params);
    });
  }

  it('ResNet-18 and ViT-B/16: the same MACs as `nnx summary resnet18` / `vit_b_16`', () => {
    for (const [name, zoo] of [['resnet18', 'resnet18'], ['resnet18_repeats', 'resnet18'], ['vit_b_16', 'vit_b_16']]) {
      const r = summarizeTorchPrint(text(fixture.models[name]), [1, 3, 224, 224]);
      expect(r.summary!.totals.macs).toBe(buildSummary(zooModel(zoo)).totals.macs);
      expect(r.summary!.output_shape).toEqual([1, 1000]);
    }
  });

  it('restores the residual adds: BasicBlock, Bottleneck and InvertedResidual (stride 1, in = out)', () => {
    expect(countType(parseTorchPrint(text(fixture.models.resnet18)).spec!.layers, 'Add')).toBe(8);
    expect(countType(parseTorchPrint(text(fixture.models.resnet50)).spec!.layers, 'Add')).toBe(16);
    // torchvision's MobileNetV2: 17 inverted residual blocks, 10 of them keep stride 1 and their width.
    expect(countType(parseTorchPrint(text(fixture.models.mobilenet_v2)).spec!.layers, 'Residual')).toBe(10);
  });

  it('expands "(0-1): 2 x Block(" repeats with PyTorch\'s names and runs the encoder on token ids', () => {
    const r = summarizeTorchPrint(text(fixture.models.text_encoder_repeats), [2, 10]);
    expect(r.summary!.output_shape).toEqual([2, 10, 3]);
    const names = r.summary!.layers.map((l) => l.name);
    expect(names).toContain('encoder.layers.0.linear1');
    expect(names).toContain('encoder.layers.1.linear2');
    expect(r.notes.join(' ')).toMatch(/num_heads = 1/);
  });

  it('ViT\'s position embedding follows the image size when the input is given', () => {
    // 160×128 in 16×16 patches: 80 tokens + class token.
    const r = parseTorchPrint(text(fixture.models.vit_b_16), { input: [1, 3, 160, 128] });
    expect(r.params).toBe(fixture.models.vit_b_16.params - 197 * 768 + 81 * 768);
  });
});

describe('print(model) problems are named with their line', () => {
  it('an unknown class is listed, not guessed, and the count says it is not exact', () => {
    const r = parseTorchPrint('Net(\n  (conv): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))\n  (act): Swish()\n  (fc): Linear(in_features=5, out_features=2, bias=False)\n)\n');
    expect(r.params).toBe(8 * 3 * 9 + 8 + 10);
    expect(r.params_exact).toBe(false);
    expect(r.unknown_modules).toEqual([expect.objectContaining({ path: 'act', className: 'Swish', line: 3 })]);
    expect(r.unplaced).toEqual([expect.objectContaining({ path: 'act', line: 3 })]);
    expect(r.spec).toBeNull();
  });

  it('a layer the shapes do not fit is reported on its line with the numbers', () => {
    const r = summarizeTorchPrint('Sequential(\n  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1))\n  (1): Flatten(start_dim=1, end_dim=-1)\n  (2): Linear(in_features=100, out_features=10, bias=True)\n)\n', [2, 1, 7, 9]);
    expect(r.summary).toBeNull();
    expect(r.unplaced).toHaveLength(1);
    expect(r.unplaced[0]).toMatchObject({ path: '2', className: 'Linear', line: 4 });
    expect(r.unplaced[0].reason).toMatch(/100.*140|140.*100/);
  });

  it('a module whose printout lacks what its parameters need is placed as a custom chain when it cannot be a known block', () => {
    const r = parseTorchPrint('BasicBlock(\n  (conv1): Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n  (bn1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n)\n');
    expect(r.params).toBe(4 * 4 * 9 + 8);
    const g = analyzeModel({ ...r.spec!, input: [1, 4, 5, 6] });
    expect(g.output.shape).toEqual([1, 4, 5, 6]);
  });

  const garbled: [string, string, RegExp][] = [
    ['an unclosed argument list', 'Net(\n  (a): Conv2d(3, 8, kernel_size=(3, 3)\n)\n', /line 2: .*expected/],
    ['a block never closed', 'Net(\n  (a): Sequential(\n    (0): ReLU()\n)\n', /line 4: .*Sequential opened on line 2 \(indent 2\), which is never closed/],
    ['text after the end', 'ReLU()\nReLU()\n', /line 2: text after the closing/],
    ['a child outside any module', '(a): ReLU()\n', /line 1: .*outside any module/],
    ['a repeat whose range disagrees with its count', 'Net(\n  (0-3): 2 x ReLU()\n)\n', /line 2: the range 0-3 holds 4 modules but the line says 2 x/],
    ['a line that is not a module', 'Net(\n  (a): ReLU()\n  hello world\n)\n', /line 3: expected "\(name\): Module/],
    ['a stray ")"', ')\n', /line 1: a "\)" that closes nothing/],
    ['the last ")" missing', 'Net(\n  (a): ReLU()\n', /line 3: Net opened on line 1 is never closed/],
    ['a non-number kernel', 'Conv2d(3, 8, kernel_size=abc)\n', /line 1: Conv2d: kernel_size must be whole numbers, got "abc"/],
  ];
  for (const [what, input, message] of garbled) {
    it(`garbled: ${what}`, () => {
      let error: unknown;
      try {
        parseTorchPrint(input);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message.split('\n')).toHaveLength(1);
    });
  }

  it('an empty text', () => {
    expect(() => parseTorchPrint('  \n')).toThrow(/empty/);
  });
});

describe('printed argument lists', () => {
  it('reads tuples, one-element tuples, booleans, floats, None, quoted and bare strings', () => {
    expect(parsePyArgs("3, 64, kernel_size=(7, 7), bias=False")).toEqual({ positional: [3, 64], keyword: { kernel_size: [7, 7], bias: false } });
    expect(parsePyArgs("(768,), eps=1e-06, elementwise_affine=True")).toEqual({ positional: [[768]], keyword: { eps: 1e-6, elementwise_affine: true } });
    expect(parsePyArgs("approximate='none', padding_mode=circular, max_norm=None, value=-0.5")).toEqual({
      positional: [], keyword: { approximate: 'none', padding_mode: 'circular', max_norm: null, value: -0.5 },
    });
  });
});

describe('nnx summary --print', () => {
  it('prints JSON with the exact parameters and the summary (the binary)', () => {
    const r = nnx(['summary', '--print', fixturePath('custom_chain'), '--input', fixture.models.custom_chain.input!.join(','), '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.params).toBe(fixture.models.custom_chain.params);
    expect(out.summary.totals.macs).toBe(fixture.models.custom_chain.macs);
    expect(out.notes[0]).toMatch(/CustomChain \(line 1\) is a custom module/);
  });
});
