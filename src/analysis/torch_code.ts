import { InputError } from './errors.ts';
import { COMMON_LAYER_KEYS, type LayerSpec, type ModelSpec } from './model_spec.ts';

/**
 * Writes a ModelSpec as PyTorch code: `model = nn.Sequential(...)` built from torch.nn modules,
 * with small helper modules for what nn.Sequential cannot say directly (a residual sum, the first
 * output of a recurrent layer or of self-attention, select/reshape/mean, ViT's patch tokens).
 * The code defines the same parameters the analysis counts. Layers that read named inputs (a DAG)
 * and graph layers (PyG) have no nn.Sequential form and are refused with the layer's path.
 */

const HELPERS: Record<string, string> = {
  Residual: `class Residual(nn.Module):
    """body(x) + shortcut(x) (the identity when there is no shortcut)."""

    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut if shortcut is not None else nn.Identity()

    def forward(self, x):
        return self.body(x) + self.shortcut(x)`,
  FirstOutput: `class FirstOutput(nn.Module):
    """A recurrent layer's output sequence (drops h_n / c_n)."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module(x)[0]`,
  SelfAttention: `class SelfAttention(nn.Module):
    """nn.MultiheadAttention with query = key = value = x; returns the attention output."""

    def __init__(self, attention):
        super().__init__()
        self.attention = attention

    def forward(self, x):
        return self.attention(x, x, x, need_weights=False)[0]`,
  Select: `class Select(nn.Module):
    def __init__(self, dim, index):
        super().__init__()
        self.dim, self.index = dim, index

    def forward(self, x):
        return x.select(self.dim, self.index)`,
  Reshape: `class Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)`,
  Mean: `class Mean(nn.Module):
    def __init__(self, dim, keepdim=False):
        super().__init__()
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        return x.mean(self.dim, keepdim=self.keepdim)`,
  PatchTokens: `class PatchTokens(nn.Module):
    """[N, D, h, w] -> [N, h*w (+1), D]: class token prepended, learned position embedding added."""

    def __init__(self, embed_dim, tokens, class_token=True, position_embedding=True):
        super().__init__()
        self.class_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if class_token else None
        self.pos_embedding = nn.Parameter(torch.zeros(1, tokens, embed_dim)) if position_embedding else None

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)
        if self.class_token is not None:
            x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        if self.pos_embedding is not None:
            x = x + self.pos_embedding
        return x`,
};

const GRAPH_TYPES = ['GCNConv', 'GATConv', 'SAGEConv'];

/** A JSON value as Python source. */
function py(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return v.length === 1 ? `(${py(v[0])},)` : `(${v.map(py).join(', ')})`;
  if (typeof v === 'number') return String(v);
  throw new InputError(`cannot write ${JSON.stringify(v)} as a Python value`);
}

function kwargs(layer: LayerSpec, skip: string[] = []): string {
  return Object.entries(layer)
    .filter(([k]) => !(COMMON_LAYER_KEYS as readonly string[]).includes(k) && !skip.includes(k))
    .map(([k, v]) => `${k}=${py(v)}`)
    .join(', ');
}

class CodeWriter {
  readonly helpers = new Set<string>();

  /** A module expression for a list of layers (one layer stays itself; more become nn.Sequential). */
  sequence(layers: LayerSpec[], path: string, indent: string, input: number[] | null): string {
    const inner = `${indent}    `;
    const items = layers.map((l, i) => `${inner}${this.layer(l, path ? `${path}.${l.name ?? i}` : String(l.name ?? i), inner, i === 0 ? input : null)},`);
    return `nn.Sequential(\n${items.join('\n')}\n${indent})`;
  }

  layer(layer: LayerSpec, path: string, indent: string, input: number[] | null): string {
    const where = `layer "${path}" (${layer.type})`;
    if (layer.inputs) {
      throw new InputError(`PyTorch code export writes nn.Sequential chains and Residual blocks; ${where} reads named inputs (${layer.inputs.join(', ')}): use a Residual block, or export ONNX`);
    }
    if (GRAPH_TYPES.includes(layer.type)) throw new InputError(`PyTorch code export has no torch.nn module for ${where}: graph layers need torch_geometric`);
    switch (layer.type) {
      case 'Sequential':
        return this.sequence((layer.layers as LayerSpec[]) ?? [], path, indent, input);
      case 'Residual': {
        this.helpers.add('Residual');
        const body = this.sequence((layer.body as LayerSpec[]) ?? [], path, indent, input);
        const sc = layer.shortcut;
        if (sc === undefined || sc === null) return `Residual(${body})`;
        const shortcut = Array.isArray(sc) ? this.sequence(sc as LayerSpec[], `${path}.shortcut`, indent, input) : this.layer(sc as LayerSpec, `${path}.shortcut`, indent, input);
        return `Residual(${body}, ${shortcut})`;
      }
      case 'RNN':
      case 'LSTM':
      case 'GRU':
        this.helpers.add('FirstOutput');
        return `FirstOutput(nn.${layer.type}(${kwargs(layer)}))`;
      case 'MultiheadAttention':
        this.helpers.add('SelfAttention');
        return `SelfAttention(nn.MultiheadAttention(${kwargs(layer)}))`;
      case 'Select':
      case 'Reshape':
      case 'Mean':
        this.helpers.add(layer.type);
        return `${layer.type}(${kwargs(layer)})`;
      case 'PatchTokens':
        throw new InputError(`PyTorch code export needs ${where} inside a PatchEmbedding (its token count comes from the image size)`);
      case 'PatchEmbedding': {
        if (!input || input.length !== 4) throw new InputError(`PyTorch code export needs ${where} to be the first layer, on a 4-D input [N, C, H, W]`);
        this.helpers.add('PatchTokens');
        const patch = Number(layer.patch_size);
        const dim = layer.embed_dim;
        const cls = layer.class_token !== false;
        const tokens = Math.floor(input[2] / patch) * Math.floor(input[3] / patch) + (cls ? 1 : 0);
        const conv = `nn.Conv2d(${py(layer.in_channels ?? 3)}, ${py(dim)}, kernel_size=${patch}, stride=${patch}, bias=${py(layer.bias !== false)})`;
        return `nn.Sequential(${conv}, PatchTokens(${py(dim)}, ${tokens}, class_token=${py(cls)}, position_embedding=${py(layer.position_embedding !== false)}))`;
      }
      case 'TransformerEncoder': {
        const enc = layer.encoder_layer as LayerSpec;
        const norm = layer.norm as LayerSpec | undefined;
        const normCode = norm ? `, norm=${this.layer(norm, `${path}.norm`, indent, null)}` : '';
        return `nn.TransformerEncoder(nn.TransformerEncoderLayer(${kwargs(enc)}), num_layers=${py(layer.num_layers)}${normCode})`;
      }
      default:
        return `nn.${layer.type}(${kwargs(layer)})`;
    }
  }
}

/** PyTorch code for a spec: imports, the helper modules it needs, `model = nn.Sequential(...)` and an example input. */
export function torchCode(spec: ModelSpec): string {
  const w = new CodeWriter();
  const model = w.sequence(spec.layers, '', '', spec.input);
  const intInput = spec.input_dtype === 'int64';
  const example = intInput ? `torch.zeros(${spec.input.join(', ')}, dtype=torch.long)` : `torch.zeros(${spec.input.join(', ')})`;
  const parts = [
    `# ${spec.name ?? 'model'}: written by nn-math-explorer from its ModelSpec`,
    'import torch\nfrom torch import nn',
    ...Object.keys(HELPERS).filter((h) => w.helpers.has(h)).map((h) => HELPERS[h]),
    `model = ${model}`,
    `example_input = ${example}`,
  ];
  return `${parts.join('\n\n\n')}\n`;
}
