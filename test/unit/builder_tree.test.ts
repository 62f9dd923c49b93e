import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../../src/analysis/graph.ts';
import { newLayer, paletteTypes } from '../../src/analysis/layer_defaults.ts';
import { knownLayerTypes } from '../../src/analysis/layers/index.ts';
import type { LayerSpec, ModelSpec } from '../../src/analysis/model_spec.ts';
import { insertLayer, moveLayer, removeLayer, rowNames } from '../../src/ui/builder_tree.ts';

const relu = (name: string): LayerSpec => ({ type: 'ReLU', name });
const spec = (): ModelSpec => ({
  input: [2, 4, 5, 3],
  layers: [
    relu('a'),
    { type: 'Residual', name: 'res', body: [relu('b'), relu('c')] },
    relu('d'),
    { type: 'Sequential', layers: [relu('e')] },
  ],
});
const names = (layers: LayerSpec[]): string[] => layers.map((l) => l.name ?? l.type);

describe('builder tree edits', () => {
  it('moves within a list, into a later nested list (the index shift) and out of one', () => {
    expect(names(moveLayer(spec(), '', 0, '', 2).layers)).toEqual(['res', 'd', 'a', 'Sequential']);
    const into = moveLayer(spec(), '', 0, '3.layers', 1);
    expect(names(into.layers)).toEqual(['res', 'd', 'Sequential']);
    expect(names(into.layers[2].layers as LayerSpec[])).toEqual(['e', 'a']);
    const out = moveLayer(spec(), '1.body', 1, '', 0);
    expect(names(out.layers)).toEqual(['c', 'a', 'res', 'd', 'Sequential']);
    expect(names(out.layers[2].body as LayerSpec[])).toEqual(['b']);
  });

  it('refuses to move a block into itself and leaves the original spec untouched', () => {
    const s = spec();
    expect(moveLayer(s, '', 1, '1.body', 0)).toBe(s);
    insertLayer(s, '', 0, relu('x'));
    expect(names(s.layers)).toEqual(['a', 'res', 'd', 'Sequential']);
  });

  it('a shortcut list appears with its first layer and goes with its last', () => {
    const withShortcut = insertLayer(spec(), '1.shortcut', 0, relu('s'));
    expect(names(withShortcut.layers[1].shortcut as LayerSpec[])).toEqual(['s']);
    expect(removeLayer(withShortcut, '1.shortcut', 0).layers[1].shortcut).toBeUndefined();
    expect(moveLayer(withShortcut, '1.shortcut', 0, '', 0).layers[2].shortcut).toBeUndefined();
  });

  it('row names are the analysis\'s layer names', () => {
    const s = insertLayer(spec(), '1.shortcut', 0, relu('s'));
    const analysed = new Set(analyzeModel(s).layers.map((l) => l.name));
    const rows = [...rowNames(s).values()];
    expect(rows).toEqual(['a', 'res', 'res.b', 'res.c', 'res.shortcut.s', 'd', '3', '3.e']);
    for (const r of rows) expect(analysed.has(r)).toBe(true);
  });

  it('the palette offers every layer type but TransformerEncoder, and a new layer has its required arguments', () => {
    expect(new Set(paletteTypes())).toEqual(new Set(knownLayerTypes().filter((t) => t !== 'TransformerEncoder')));
    expect(newLayer('Conv2d')).toEqual({ type: 'Conv2d', in_channels: 3, out_channels: 16, kernel_size: 3 });
    expect(analyzeModel({ input: [1, 3, 8, 8], layers: [newLayer('Conv2d'), newLayer('Residual')] }).output.shape).toEqual([1, 16, 6, 6]);
  });
});
