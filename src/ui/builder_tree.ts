import type { LayerSpec, ModelSpec } from '../analysis/model_spec.ts';

/**
 * Edits of a ModelSpec's layer tree for the builder page, addressed by list: "" is
 * `spec.layers`, "2.body" is the body of the Residual at index 2, "2.body.0.layers" the
 * children of the Sequential inside it. Every edit returns a new spec (the old one is untouched).
 */

/** Child list keys a builder container has. */
export const CHILD_KEYS = ['layers', 'body', 'shortcut'] as const;

function clone(spec: ModelSpec): ModelSpec {
  return JSON.parse(JSON.stringify(spec)) as ModelSpec;
}

/** The layer list at an address (creating a Residual's empty shortcut list when asked for it). */
export function listAt(spec: ModelSpec, address: string): LayerSpec[] {
  if (address === '') return spec.layers;
  const parts = address.split('.');
  let list = spec.layers;
  for (let i = 0; i < parts.length; i += 2) {
    const layer = list[Number(parts[i])];
    const key = parts[i + 1];
    if (!layer || !(CHILD_KEYS as readonly string[]).includes(key)) throw new Error(`no layer list at "${address}"`);
    if (!Array.isArray(layer[key])) layer[key] = [];
    list = layer[key] as LayerSpec[];
  }
  return list;
}

/** Inserts a layer into the list at `address`, before `index`. */
export function insertLayer(spec: ModelSpec, address: string, index: number, layer: LayerSpec): ModelSpec {
  const next = clone(spec);
  listAt(next, address).splice(index, 0, layer);
  return next;
}

/** Removes the layer at `index` of a list (a Residual's shortcut disappears with its last layer). */
export function removeLayer(spec: ModelSpec, address: string, index: number): ModelSpec {
  const next = clone(spec);
  listAt(next, address).splice(index, 1);
  dropEmptyShortcut(next, address);
  return next;
}

/** A Residual whose shortcut list was emptied goes back to the identity shortcut. */
function dropEmptyShortcut(spec: ModelSpec, address: string): void {
  if (!address.endsWith('.shortcut') || listAt(spec, address).length > 0) return;
  const owner = address.slice(0, -'.shortcut'.length).split('.');
  delete listAt(spec, owner.slice(0, -1).join('.'))[Number(owner[owner.length - 1])].shortcut;
}

/** Replaces the layer at `index` of a list. */
export function replaceLayer(spec: ModelSpec, address: string, index: number, layer: LayerSpec): ModelSpec {
  const next = clone(spec);
  listAt(next, address)[index] = layer;
  return next;
}

/**
 * Moves a layer between lists (or within one). A container cannot move into itself: the
 * spec comes back unchanged.
 */
export function moveLayer(spec: ModelSpec, from: string, fromIndex: number, to: string, toIndex: number): ModelSpec {
  const item = from === '' ? String(fromIndex) : `${from}.${fromIndex}`;
  if (to === item || to.startsWith(`${item}.`)) return spec;
  const next = clone(spec);
  const [layer] = listAt(next, from).splice(fromIndex, 1);
  dropEmptyShortcut(next, from);
  // Taking the layer out of `from` shifts the index of a later sibling the target list sits in.
  let target = to;
  if (to !== from && (from === '' || to.startsWith(`${from}.`))) {
    const rest = (from === '' ? to : to.slice(from.length + 1)).split('.');
    const idx = Number(rest[0]);
    if (idx > fromIndex) rest[0] = String(idx - 1);
    target = from === '' ? rest.join('.') : `${from}.${rest.join('.')}`;
  }
  listAt(next, target).splice(toIndex, 0, layer);
  return next;
}

/**
 * The row name the analysis gives a layer (PyTorch's dotted module path), by item address:
 * `name ?? id ?? index` under the parent's path; a Residual's shortcut list is a `shortcut` row.
 */
export function rowNames(spec: ModelSpec): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (layers: LayerSpec[], address: string, path: string): void => {
    layers.forEach((layer, i) => {
      const item = address === '' ? String(i) : `${address}.${i}`;
      const own = layer.name ?? layer.id ?? String(i);
      const row = path ? `${path}.${own}` : own;
      out.set(item, row);
      if (Array.isArray(layer.layers)) walk(layer.layers as LayerSpec[], `${item}.layers`, row);
      if (Array.isArray(layer.body)) walk(layer.body as LayerSpec[], `${item}.body`, row);
      if (Array.isArray(layer.shortcut)) walk(layer.shortcut as LayerSpec[], `${item}.shortcut`, `${row}.shortcut`);
    });
  };
  walk(spec.layers, '', '');
  return out;
}
