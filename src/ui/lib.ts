/**
 * The embeddable library: `npm run build` bundles this file (with Lit, uPlot and every WGSL
 * kernel) into one ES module, `dist/lib/nnx.js`. Importing it defines every `nnx-*` element;
 * the main classes, the GPU runtime and `runSpec` are exported for pages that script them.
 *
 *   <script type="module" src="dist/lib/nnx.js"></script>
 *   <nnx-layer-inspector></nnx-layer-inspector>
 *   <script type="module">document.querySelector('nnx-layer-inspector').spec = {op: 'conv2d', …}</script>
 *
 * test/e2e/embed.test.ts checks that every element under src/ui is defined by the bundle.
 */
import './app.ts';
import './attention_matrix.ts';
import './chart.ts';
import './copy_pytorch.ts';
import './grad_flow_table.ts';
import './gradcheck_panel.ts';
import './gradient_lab.ts';
import './graph_view.ts';
import './heatmap.ts';
import './hyperparam_form.ts';
import './kernel_bench.ts';
import './kernel_timings.ts';
import './layer_inspector.ts';
import './layer_lab.ts';
import './ledger_table.ts';
import './memory_compare.ts';
import './memory_timeline.ts';
import './model_inspector.ts';
import './neuron_panel.ts';
import './patch_image.ts';
import './recurrent_panel.ts';
import './summary_table.ts';
import './tensor_view.ts';
import './update_preview.ts';
import './verdict_list.ts';
import './webgpu_missing.ts';

export { NnxChart } from './chart.ts';
export { NnxHeatmap } from './heatmap.ts';
export { NnxKernelTimings } from './kernel_timings.ts';
export { NnxLayerInspector } from './layer_inspector.ts';
export type { InspectorState, InspectorTab } from './layer_inspector.ts';
export { NnxLedgerTable } from './ledger_table.ts';
export { NnxTensorView } from './tensor_view.ts';
export { GpuRuntime } from '../kernels/runtime.ts';
export { runSpec } from '../ops/run.ts';
export type { RunResult } from '../ops/run.ts';
export type { JsonTensor, RunSpec } from '../ops/spec.ts';
