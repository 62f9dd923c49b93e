/**
 * "Copy as PyTorch": an `nnx run` spec as a Python script that recomputes the same numbers in
 * PyTorch: every input as `torch.tensor([...], dtype=...)` with its exact float32 values, the
 * op's call with PyTorch's argument names and the spec's attributes, `print(y)`, and, when the
 * run computed gradients, `backward` with the same ∂L/∂output and a print of each gradient.
 *
 * One recipe per op name. Ops PyTorch has no functional form for (the recurrent layers, which
 * run through nn.RNN/LSTM/GRU with the weights copied in) say so in the header; ops PyTorch does
 * not compute at all (the graph layers, which need PyTorch Geometric) get the inputs and a header
 * saying so, never a guessed call.
 */
import { InputError } from './errors.ts';
import { float32Text } from './float32_text.ts';
import type { JsonTensor, RunSpec } from '../ops/spec.ts';

export interface SnippetOptions {
  /** Inputs whose gradients the run computed (the keys of its `grads`); none: no backward. */
  grads?: string[];
}

/** What a recipe writes for an op. */
interface Recipe {
  /** Header lines after the title (what the call stands for, what is missing). */
  notes?: string[];
  /** Lines computing the outputs; empty when PyTorch has no such op. */
  lines: string[];
  /** Python expression of each op output, by the op's output name. */
  outputs: Record<string, string>;
  /** Where a gradient lands when not on the input's own tensor (a module's copied weight). */
  gradOf?: Record<string, string>;
  /** Inputs copied into a module, so their own tensors need no gradient. */
  copied?: string[];
  /** Integer inputs PyTorch wants as int32 rather than int64. */
  int32?: string[];
}

interface RecipeContext {
  spec: RunSpec;
  attrs: Record<string, unknown>;
  /** The input's variable name, or `None` when the spec leaves it out. */
  arg(name: string): string;
  /** `name=value` for each attribute the spec sets, in the order given. */
  kw(names: string[]): string[];
  shape(name: string): number[];
}

/** A JSON attribute value as a Python literal. */
export function pythonLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? "float('nan')" : `float('${v > 0 ? 'inf' : '-inf'}')`;
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return v.length === 1 ? `(${pythonLiteral(v[0])},)` : `(${v.map(pythonLiteral).join(', ')})`;
  throw new InputError(`PyTorch snippet: cannot write attribute value ${JSON.stringify(v)} in Python`);
}

function call(fn: string, args: string[]): string {
  return `${fn}(${args.join(', ')})`;
}

const single = (line: string): Recipe => ({ lines: [`y = ${line}`], outputs: { output: 'y' } });

function recurrent(kind: 'rnn' | 'lstm' | 'gru', c: RecipeContext): Recipe {
  const module = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' }[kind];
  const [, , inputSize] = c.shape('x');
  const hidden = c.shape('weight_hh')[1];
  const hasBias = c.spec.inputs.bias_ih !== undefined;
  const options = [`input_size=${inputSize}`, `hidden_size=${hidden}`];
  if (kind === 'rnn') options.push(`nonlinearity=${pythonLiteral(c.attrs.nonlinearity ?? 'tanh')}`);
  if (!hasBias) options.push('bias=False');
  const weights = ['weight_ih', 'weight_hh', ...(hasBias ? ['bias_ih', 'bias_hh'] : [])];
  const state = kind === 'lstm'
    ? (c.spec.inputs.h0 || c.spec.inputs.c0 ? `(${c.arg('h0') === 'None' ? `torch.zeros_like(${c.arg('c0')})` : 'h0'}, ${c.arg('c0') === 'None' ? 'torch.zeros_like(h0)' : 'c0'})` : 'None')
    : c.arg('h0');
  return {
    notes: [`torch.nn.functional has no ${kind}: torch.nn.${module} runs it with the weights below copied in (${weights.map((w) => `${w} → ${kind}.${w}_l0`).join(', ')}).`],
    lines: [
      `${kind} = torch.nn.${module}(${options.join(', ')})`,
      'with torch.no_grad():',
      ...weights.map((w) => `    ${kind}.${w}_l0.copy_(${w})`),
      kind === 'lstm' ? `y, (h_n, c_n) = ${kind}(x, ${state})` : `y, h_n = ${kind}(x, ${state})`,
    ],
    outputs: kind === 'lstm' ? { y: 'y', h_n: 'h_n', c_n: 'c_n' } : { y: 'y', h_n: 'h_n' },
    gradOf: Object.fromEntries(weights.map((w) => [w, `${kind}.${w}_l0`])),
    copied: weights,
  };
}

function graph(op: string, module: string): Recipe {
  return {
    notes: [
      `PyTorch has no ${op} op: PyTorch Geometric's ${module} computes it (PyG is not part of PyTorch, so no call is written here).`,
      'The tensors are the inputs the page sent; compare your own computation with the page\'s output.',
    ],
    lines: [],
    outputs: {},
  };
}

const RECIPES: Record<string, (c: RecipeContext) => Recipe> = {
  conv2d: (c) => single(call('F.conv2d', ['x', 'weight', c.arg('bias'), ...c.kw(['stride', 'padding', 'dilation', 'groups'])])),
  conv_transpose2d: (c) => single(call('F.conv_transpose2d', ['x', 'weight', c.arg('bias'), ...c.kw(['stride', 'padding', 'output_padding', 'groups', 'dilation'])])),
  max_pool2d: (c) => single(call('F.max_pool2d', ['x', ...c.kw(['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode'])])),
  avg_pool2d: (c) => single(call('F.avg_pool2d', ['x', ...c.kw(['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'])])),
  linear: (c) => single(call('F.linear', ['x', 'weight', c.arg('bias')])),
  relu: () => single('F.relu(x)'),
  softmax: (c) => single(call('F.softmax', ['x', ...c.kw(['dim'])])),
  log_softmax: (c) => single(call('F.log_softmax', ['x', ...c.kw(['dim'])])),
  cross_entropy: (c) => ({
    lines: [`loss = ${call('F.cross_entropy', ['logits', 'target', ...c.kw(['ignore_index', 'reduction', 'label_smoothing'])])}`],
    outputs: { loss: 'loss' },
  }),
  batch_norm: (c) => single(call('F.batch_norm', ['x', c.arg('running_mean'), c.arg('running_var'), c.arg('weight'), c.arg('bias'), ...c.kw(['training', 'momentum', 'eps'])])),
  layer_norm: (c) => single(call('F.layer_norm', ['x', pythonLiteral(c.attrs.normalized_shape), c.arg('weight'), c.arg('bias'), ...c.kw(['eps'])])),
  group_norm: (c) => single(call('F.group_norm', ['x', pythonLiteral(c.attrs.num_groups), c.arg('weight'), c.arg('bias'), ...c.kw(['eps'])])),
  embedding: (c) => single(call('F.embedding', ['indices', 'weight', ...c.kw(['padding_idx'])])),
  scaled_dot_product_attention: (c) => ({
    ...single(call('F.scaled_dot_product_attention', ['q', 'k', 'v', ...(c.spec.inputs.attn_mask ? ['attn_mask=attn_mask'] : []), ...c.kw(['is_causal', 'scale'])])),
    notes: ['F.scaled_dot_product_attention needs PyTorch 2.0 or later (its scale= argument 2.1).'],
  }),
  multi_head_attention: (c) => {
    const batchFirst = c.attrs.batch_first !== false;
    const [L, , E] = batchFirst ? [c.shape('x')[1], 0, c.shape('x')[2]] : c.shape('x');
    const q = batchFirst ? 'x.transpose(0, 1)' : 'x';
    const masks = [
      ...(c.spec.inputs.attn_mask ? ['attn_mask'] : []),
      ...(c.attrs.is_causal ? [`torch.ones(${L}, ${L}, dtype=torch.bool).triu(1)`] : []),
    ];
    const mask = masks.length === 2 ? `(${masks[0]}.bool() | ${masks[1]})` : masks[0] ?? 'None';
    const out = call('F.multi_head_attention_forward', [
      q, q, q, String(E), pythonLiteral(c.attrs.num_heads), 'in_proj_weight', c.arg('in_proj_bias'), 'None', 'None', 'False', '0.0',
      'out_proj_weight', c.arg('out_proj_bias'), 'training=False', `key_padding_mask=${c.arg('key_padding_mask')}`, 'need_weights=False', `attn_mask=${mask}`,
    ]);
    return {
      notes: [`F.multi_head_attention_forward works sequence-first [L, N, E]${batchFirst ? '; x [N, L, E] is transposed in and out' : ''}${c.attrs.is_causal ? '; is_causal is the mask triu(1) (True = not attended)' : ''}.`],
      lines: [`y = ${out}[0]${batchFirst ? '.transpose(0, 1)' : ''}`],
      outputs: { output: 'y' },
    };
  },
  fake_quantize_per_tensor_affine: (c) => single(call('torch.fake_quantize_per_tensor_affine', ['x', ...['scale', 'zero_point', 'quant_min', 'quant_max'].map((k) => pythonLiteral(c.attrs[k]))])),
  fake_quantize_per_channel_affine: (c) => ({
    ...single(call('torch.fake_quantize_per_channel_affine', ['x', 'scale', 'zero_point', ...['axis', 'quant_min', 'quant_max'].map((k) => pythonLiteral(c.attrs[k]))])),
    int32: ['zero_point'],
  }),
  rnn: (c) => recurrent('rnn', c),
  lstm: (c) => recurrent('lstm', c),
  gru: (c) => recurrent('gru', c),
  gcn: () => graph('gcn', 'GCNConv'),
  gat: () => graph('gat', 'GATConv'),
  sage: () => graph('sage', 'SAGEConv'),
};

/** Whether the snippet writer knows the op. */
export function hasPytorchSnippet(op: string): boolean {
  return op in RECIPES;
}

/** A Python list of values, ten to a line. */
function valuesText(t: JsonTensor, isFloat: boolean): string {
  const flat = (t.data as unknown[]).flat(Infinity as 1) as (number | boolean)[];
  const texts = flat.map((v) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : isFloat ? pyFloat(v) : String(v)));
  if (texts.length <= 10) return `[${texts.join(', ')}]`;
  const lines: string[] = [];
  for (let i = 0; i < texts.length; i += 10) lines.push(`    ${texts.slice(i, i + 10).join(', ')},`);
  return `[\n${lines.join('\n')}\n]`;
}

function pyFloat(v: number): string {
  const s = float32Text(v);
  return s === 'nan' || s === 'inf' || s === '-inf' ? `float('${s}')` : s;
}

/** `torch.tensor([...], dtype=...)` reshaped to the tensor's shape. */
function tensorText(t: JsonTensor, dtype: string): string {
  const isFloat = dtype === 'torch.float32';
  if (t.shape.length === 0) return `torch.tensor(${valuesText(t, isFloat).slice(1, -1)}, dtype=${dtype})`;
  const base = `torch.tensor(${valuesText(t, isFloat)}, dtype=${dtype})`;
  return t.shape.length === 1 ? base : `${base}.reshape(${t.shape.join(', ')})`;
}

function torchDtype(t: JsonTensor, int32: boolean): string {
  // JSON may say "bool" or "int64" (spec.ts accepts both) though the parsed DType has neither.
  const dtype = t.dtype as string | undefined;
  if (dtype === 'bool') return 'torch.bool';
  if (dtype === 'int32' || dtype === 'int64') return int32 ? 'torch.int32' : 'torch.int64';
  return 'torch.float32';
}

/** The gradient given for each output, by output name (a bare tensor is the single output's). */
function gradOutputs(spec: RunSpec, outputs: string[]): Record<string, JsonTensor> {
  const g = spec.grad_output;
  if (!g) return {};
  if ('shape' in g && 'data' in g) return { [outputs[0]]: g as JsonTensor };
  return g as Record<string, JsonTensor>;
}

/** A note as `# ` comment lines of at most about 100 characters, broken between words. */
function commentLines(note: string): string[] {
  const lines = [''];
  for (const word of note.split(' ')) {
    if (lines[lines.length - 1] && lines[lines.length - 1].length + word.length > 96) lines.push('');
    lines[lines.length - 1] += `${lines[lines.length - 1] ? ' ' : ''}${word}`;
  }
  return lines.map((l) => `# ${l}`);
}

/** The PyTorch script for a spec (see the module comment). */
export function pytorchSnippet(spec: RunSpec, options: SnippetOptions = {}): string {
  const make = RECIPES[spec.op];
  if (!make) throw new InputError(`PyTorch snippet: no recipe for op "${spec.op}" (known: ${Object.keys(RECIPES).join(', ')})`);
  const attrs = spec.attrs ?? {};
  const context: RecipeContext = {
    spec, attrs,
    arg: (name) => (spec.inputs[name] ? name : 'None'),
    kw: (names) => names.filter((k) => attrs[k] !== undefined).map((k) => `${k}=${pythonLiteral(attrs[k])}`),
    shape: (name) => {
      const t = spec.inputs[name];
      if (!t) throw new InputError(`PyTorch snippet: ${spec.op} needs input "${name}"`);
      return t.shape;
    },
  };
  const recipe = make(context);
  const grads = recipe.lines.length ? (options.grads ?? []).filter((g) => spec.inputs[g]) : [];
  const withGrad = new Set(grads.filter((g) => !recipe.copied?.includes(g)));
  const out: string[] = [`# ${spec.op} from nn-math-explorer, recomputed in PyTorch on the same float32 values.`];
  for (const note of recipe.notes ?? []) out.push(...commentLines(note));
  out.push('import torch', 'import torch.nn.functional as F', '', 'torch.set_printoptions(precision=8)', '');
  for (const [name, t] of Object.entries(spec.inputs)) {
    const dtype = torchDtype(t, recipe.int32?.includes(name) ?? false);
    out.push(`${name} = ${tensorText(t, dtype)}${withGrad.has(name) ? '.requires_grad_()' : ''}`);
  }
  if (!recipe.lines.length) return `${out.join('\n')}\n`;
  out.push('', ...recipe.lines);
  for (const expr of Object.values(recipe.outputs)) out.push(`print(${expr})`);
  const given = Object.entries(gradOutputs(spec, Object.keys(recipe.outputs))).filter(([k]) => recipe.outputs[k]);
  if (grads.length && given.length) {
    out.push('', '# Backward with the same dL/d(output) the page used.');
    for (const [k, t] of given) out.push(`grad_${recipe.outputs[k]} = ${tensorText(t, 'torch.float32')}`);
    out.push(`torch.autograd.backward([${given.map(([k]) => recipe.outputs[k]).join(', ')}], [${given.map(([k]) => `grad_${recipe.outputs[k]}`).join(', ')}])`);
    for (const g of grads) out.push(`print('grad ${g}', ${recipe.gradOf?.[g] ?? g}.grad)`);
  }
  return `${out.join('\n')}\n`;
}
