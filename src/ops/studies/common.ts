/**
 * Pieces the studies and the Compare page share: line-up entries by name and the first n
 * samples of a data set's splits. Browser-safe (no Node imports): the data set is loaded by the caller.
 */
import { InputError } from '../../analysis/errors.ts';
import { lineup, type TaskShape } from '../../analysis/zoo/compare_lineups.ts';
import type { SampleDataset, SampleSplit } from '../../data/dataset.ts';
import type { CompareEntry } from '../compare.ts';

/** The entries of a built-in line-up, by arch name, with specs built for `shape`; `context` starts the error message. */
export function lineupEntries(context: string, task: string, archs: string[], shape: TaskShape): CompareEntry[] {
  const l = lineup(task);
  if (!archs.length) throw new InputError(`${context}: no architecture chosen (known: ${Object.keys(l.archs).join(', ')})`);
  return archs.map((arch) => {
    const build = l.archs[arch];
    if (!build) throw new InputError(`${context}: unknown architecture ${JSON.stringify(arch)} (known: ${Object.keys(l.archs).join(', ')})`);
    return { arch, spec: build(shape) };
  });
}

function head(split: SampleSplit, count: number): SampleSplit {
  const inputSize = split.inputs.length / split.count;
  const targetSize = split.targets.length / split.count;
  return { inputs: split.inputs.subarray(0, count * inputSize), targets: split.targets.subarray(0, count * targetSize), count };
}

/** The first `train` training and `test` test samples of `ds` (undefined keeps a split whole); asking for more than there are is an error. */
export function subsetSamples(ds: SampleDataset, train?: number, test?: number): SampleDataset {
  for (const [what, want, have] of [['training', train, ds.train.count], ['test', test, ds.test.count]] as const) {
    if (want !== undefined && (want < 1 || want > have)) throw new InputError(`${ds.name} has ${have} ${what} samples, ${want} asked for`);
  }
  const t = train ?? ds.train.count;
  const s = test ?? ds.test.count;
  if (t === ds.train.count && s === ds.test.count) return ds;
  return { ...ds, train: head(ds.train, t), test: head(ds.test, s), description: `${ds.description}; the first ${t} training and ${s} test samples` };
}
