import { readFileSync, writeFileSync } from 'node:fs';
import { InputError } from '../analysis/errors.ts';
import { exportOnnx, type WeightMap } from '../analysis/onnx/onnx_export.ts';
import { parseSpecText, parseTensor } from '../ops/spec.ts';
import { loadModel } from './summary.ts';

const EXPORT_USAGE = `usage: nnx export SPEC.json|MODEL [--weights FILE] OUT.onnx

Writes the model as ONNX (opset 17) that onnxruntime runs: parameters by state_dict name,
input "input" with the spec's shape, output "output".
  --weights FILE   {state_dict name: {"shape", "data"}} (nnx train --save writes one) or a ModelSpec
                   carrying "weights"; default: the spec's own "weights", else PyTorch-style ranges`;

function readStateDict(file: string): WeightMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`export: cannot read --weights ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const value = parseSpecText(text, `--weights ${file}`) as Record<string, unknown>;
  const tensors = value && typeof value === 'object' && 'layers' in value ? value.weights : value;
  if (!tensors || typeof tensors !== 'object' || Array.isArray(tensors)) throw new InputError(`export: --weights ${file} holds no object of tensors by state_dict name`);
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => {
    const parsed = parseTensor(`--weights ${file}: ${name}`, t, 'float32');
    return [name, { shape: parsed.shape, data: parsed.data as ArrayLike<number> }];
  }));
}

/** `nnx export SPEC|MODEL [--weights FILE] OUT.onnx`. */
export async function exportCommand(argv: string[]): Promise<number> {
  const positional: string[] = [];
  let weightsFile: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(EXPORT_USAGE);
      return 0;
    }
    if (a === '--weights') {
      weightsFile = argv[++i] ?? null;
      if (!weightsFile) throw new InputError('export: --weights needs a JSON file');
    } else if (a.startsWith('--')) throw new InputError(`export: unknown option ${a} (nnx export --help)`);
    else positional.push(a);
  }
  if (positional.length !== 2) throw new InputError(`export: expected a model and an output file, got ${positional.length} argument(s) (nnx export --help)`);
  const [source, out] = positional;
  if (!/\.onnx$/i.test(out)) throw new InputError(`export: the output file must end in .onnx, got ${out}`);
  const spec = loadModel(source);
  const bytes = exportOnnx(spec, weightsFile ? readStateDict(weightsFile) : undefined);
  try {
    writeFileSync(out, bytes);
  } catch (error) {
    throw new InputError(`export: cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  console.log(`wrote ${out} (${bytes.length.toLocaleString('en-US')} bytes, opset 17)`);
  return 0;
}
