/**
 * Shared by the benchmarks: the logistic-regression ONNX model the demo builds
 * (packages/server/src/demo/logistic-onnx.ts, from the build), p = sigmoid(x·w + b), input `x`
 * float32 [N, k], outputs `label` int64 [N] (argmax) and `probabilities` float32 [N, 2].
 */
import { Buffer } from 'node:buffer';
import {
  logisticManifest as demoManifest,
  logisticOnnx as demoOnnx,
} from '../packages/server/dist/demo/logistic-onnx.js';

/** The model's bytes for these weights (k = weights.length) and bias. */
export async function logisticOnnx(weights, bias) {
  return Buffer.from(demoOnnx({ weights, bias }));
}

/** The slipway.yaml of `logisticOnnx` over `features` float32 columns f0..f(k-1), packed into `x`. */
export function logisticManifest(features) {
  return demoManifest(Array.from({ length: features }, (_, i) => `f${i}`));
}
