/** The graph drawing's node positions (d3-force), kept apart from the element so Node can test it. */
import { forceLink, forceManyBody, forceSimulation, forceX, forceY, type SimulationLinkDatum, type SimulationNodeDatum } from 'd3-force';
import { mulberry32 } from '../analysis/random.ts';

/**
 * d3-force's layout (links, many-body repulsion, centering) from nodes on a circle with a seeded
 * random source and a fixed 300 ticks: the same graph always looks the same. Positions are
 * scaled into [0, size]² keeping the aspect ratio.
 */
export function forceLayout(n: number, src: ArrayLike<number>, dst: ArrayLike<number>, size = 1): [number, number][] {
  const circle = (i: number): [number, number] => [Math.cos((2 * Math.PI * i) / n), Math.sin((2 * Math.PI * i) / n)];
  if (n <= 2) return Array.from({ length: n }, (_, i) => [(0.5 + 0.4 * circle(i)[0]) * size, (0.5 + 0.4 * circle(i)[1]) * size]);
  // d3-force's defaults (link distance 30, charge −30) are tuned for pixel units: start on a 100-unit circle.
  const nodes: SimulationNodeDatum[] = Array.from({ length: n }, (_, i) => ({ x: 100 * circle(i)[0], y: 100 * circle(i)[1] }));
  const links: SimulationLinkDatum<SimulationNodeDatum>[] = [];
  for (let e = 0; e < src.length; e++) if (src[e] < dst[e]) links.push({ source: src[e], target: dst[e] });
  if (!links.length) for (let e = 0; e < src.length; e++) if (src[e] !== dst[e]) links.push({ source: src[e], target: dst[e] });
  forceSimulation(nodes)
    .randomSource(mulberry32(1))
    .force('link', forceLink(links))
    .force('charge', forceManyBody())
    .force('x', forceX(0).strength(0.05))
    .force('y', forceY(0).strength(0.05))
    .stop()
    .tick(300);
  const xs = nodes.map((p) => p.x!), ys = nodes.map((p) => p.y!);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const s = Math.max(x1 - x0, y1 - y0, 1e-6);
  return nodes.map((p) => [((p.x! - x0) / s + (1 - (x1 - x0) / s) / 2) * size, ((p.y! - y0) / s + (1 - (y1 - y0) / s) / 2) * size]);
}
