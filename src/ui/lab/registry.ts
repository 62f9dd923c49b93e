import { conv2dLab } from './conv2d.ts';
import type { LabOp } from './types.ts';

/** Ops the Layer Lab can show, by `nnx run` op name. */
export const LAB_OPS: Record<string, LabOp> = { conv2d: conv2dLab };

export const DEFAULT_LAB_OP = 'conv2d';
