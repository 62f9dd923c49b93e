/**
 * The app's navigation state lives in the URL hash: `#/<page>?<params>`, so any view can be
 * shared as a link. Params are plain strings; each page parses its own.
 */
export interface Route {
  page: string;
  params: Record<string, string>;
}

/** Pages that exist. Later capabilities add theirs here. */
export const PAGES = [
  { id: 'layer-lab', title: 'Layer Lab' },
  { id: 'model-inspector', title: 'Model Inspector' },
  { id: 'gradient-lab', title: 'Gradient Lab' },
  { id: 'model-tracer', title: 'Model Tracer' },
  { id: 'compare', title: 'Compare' },
  { id: 'kernel-timings', title: 'Kernel Timings' },
  { id: 'builder', title: 'Builder' },
  { id: 'landscape', title: 'Landscape' },
  { id: 'tape', title: 'Tape' },
  { id: 'parallel', title: 'Parallel Planner' },
  { id: 'museum', title: 'Museum' },
] as const;

export const DEFAULT_PAGE = 'layer-lab';

/** Parses `#/layer-lab?op=conv2d&n=1` (a missing page means the default page). */
export function parseRoute(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const page = (q < 0 ? body : body.slice(0, q)).replace(/\/+$/, '') || DEFAULT_PAGE;
  const params: Record<string, string> = {};
  if (q >= 0) for (const [k, v] of new URLSearchParams(body.slice(q + 1))) params[k] = v;
  return { page, params };
}

/** The hash for a route, params in the order given. */
export function formatRoute(route: Route): string {
  const query = new URLSearchParams(route.params).toString();
  return `#/${route.page}${query ? `?${query}` : ''}`;
}
