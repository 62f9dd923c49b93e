/**
 * The small embed entry: `npm run build` bundles this file into `dist/lib/layer-inspector.js`,
 * one ES module that defines `<nnx-layer-inspector>` and the elements it draws with (tensor
 * views, heatmaps, kernel timings, the ledger table) and none of the app's pages. A page that
 * embeds one inspector loads this instead of `dist/lib/nnx.js` (see examples/embed.html and the
 * bytes in the README).
 *
 *   <script type="module" src="dist/lib/layer-inspector.js"></script>
 *   <nnx-layer-inspector></nnx-layer-inspector>
 */
import './layer_inspector.ts';

export { NnxLayerInspector } from './layer_inspector.ts';
export type { InspectorState, InspectorTab } from './layer_inspector.ts';
export { GpuRuntime } from '../kernels/runtime.ts';
export { runSpec } from '../ops/run.ts';
export type { RunResult } from '../ops/run.ts';
export type { JsonTensor, RunSpec } from '../ops/spec.ts';
