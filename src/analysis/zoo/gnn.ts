import type { ModelSpec } from '../model_spec.ts';

/**
 * Two-layer graph networks on Zachary's karate club as PyTorch Geometric ships it (KarateClub):
 * 34 nodes, 156 directed edges (78 undirected), one-hot node features (34), 4 classes.
 */
const KARATE = { input: [34, 34], batch_dim: null, graph: { num_nodes: 34, num_edges: 156 } };

/** GCNConv(34, 16) → ReLU → GCNConv(16, 4): 628 parameters. */
export function gcnKarate(): ModelSpec {
  return {
    name: 'gcn_karate', ...KARATE,
    layers: [
      { type: 'GCNConv', name: 'conv1', in_channels: 34, out_channels: 16 },
      { type: 'ReLU', name: 'relu' },
      { type: 'GCNConv', name: 'conv2', in_channels: 16, out_channels: 4 },
    ],
    loss: 'cross_entropy',
  };
}

/** GATConv(34, 8, heads 8) → ELU → GATConv(64, 4, heads 1, concat false): 2,636 parameters. */
export function gatKarate(): ModelSpec {
  return {
    name: 'gat_karate', ...KARATE,
    layers: [
      { type: 'GATConv', name: 'conv1', in_channels: 34, out_channels: 8, heads: 8 },
      { type: 'ELU', name: 'elu' },
      { type: 'GATConv', name: 'conv2', in_channels: 64, out_channels: 4, heads: 1, concat: false },
    ],
    loss: 'cross_entropy',
  };
}

/** SAGEConv(34, 16) → ReLU → SAGEConv(16, 4), mean aggregation: 1,236 parameters. */
export function sageKarate(): ModelSpec {
  return {
    name: 'sage_karate', ...KARATE,
    layers: [
      { type: 'SAGEConv', name: 'conv1', in_channels: 34, out_channels: 16 },
      { type: 'ReLU', name: 'relu' },
      { type: 'SAGEConv', name: 'conv2', in_channels: 16, out_channels: 4 },
    ],
    loss: 'cross_entropy',
  };
}
