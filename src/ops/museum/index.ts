/**
 * The failure-case museum: every exhibit by name, in the order `nnx museum` and the Museum page
 * show them, and a runner for all or some of them on one GPU runtime.
 */
import { InputError } from '../../analysis/errors.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { deepMlpReluInit, deepMlpSigmoid } from './deep_mlp.ts';
import type { ExhibitDefinition, MuseumExhibit } from './exhibit.ts';
import { fcAfterConv } from './fc_after_conv.ts';
import { fp16Overflow } from './fp16_overflow.ts';
import { rnnVsLstm } from './rnn_vs_lstm.ts';
import { naiveSoftmax } from './softmax_overflow.ts';
import { dyingRelu, highLrNoNorm, saturatedInit } from './training_failures.ts';

export type { ExhibitDefinition, MuseumExhibit, MuseumSide, MuseumVerdict, MuseumVerdictKind } from './exhibit.ts';

/** Every exhibit, in showing order. */
export const EXHIBITS: ExhibitDefinition[] = [
  deepMlpSigmoid, deepMlpReluInit, fcAfterConv, highLrNoNorm, naiveSoftmax, fp16Overflow, dyingRelu, saturatedInit, rnnVsLstm,
];

/** An exhibit by name, or an error listing the names. */
export function findExhibit(name: string): ExhibitDefinition {
  const exhibit = EXHIBITS.find((e) => e.name === name);
  if (!exhibit) throw new InputError(`museum: unknown exhibit ${JSON.stringify(name)} (exhibits: ${EXHIBITS.map((e) => e.name).join(', ')})`);
  return exhibit;
}

/** Runs the named exhibits (all when `names` is empty) one after another. */
export async function runMuseum(rt: GpuRuntime, names: string[] = [], onExhibit?: (e: MuseumExhibit) => void): Promise<{ exhibits: MuseumExhibit[] }> {
  const chosen = names.length ? names.map(findExhibit) : EXHIBITS;
  const exhibits: MuseumExhibit[] = [];
  for (const def of chosen) {
    const e = await def.run(rt);
    exhibits.push(e);
    onExhibit?.(e);
  }
  return { exhibits };
}
