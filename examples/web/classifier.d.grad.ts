// The types of classifier.grad's exports: written by the dev server (vite.config.ts).
import type { Matrix } from "gradc-runtime";
import { Workspace } from "gradc-runtime";
/**
 * `fn probability(W1: real[2, h], b1: real[h], w2: real[h], b2: real, X: real[N, 2]) -> real[N]`
 *
 * The value of `probability`.
 *
 * Given `workspace`, it works in that workspace: arrays it returns may be the workspace's, valid until its next call given it.
 */
export declare function probability(W1: Matrix, b1: Float64Array, w2: Float64Array, b2: number, X: Matrix, workspace?: Workspace): Float64Array;
/**
 * `fn loss(W1: real[2, h], b1: real[h], w2: real[h], b2: real, X: real[N, 2], y: real[N], λ: real) -> real wrt W1, b1, w2, b2`
 *
 * The value of `loss`.
 *
 * Given `workspace`, it works in that workspace: arrays it returns may be the workspace's, valid until its next call given it.
 */
export declare function loss(W1: Matrix, b1: Float64Array, w2: Float64Array, b2: number, X: Matrix, y: Float64Array, λ: number, workspace?: Workspace): number;
/**
 * `fn loss(W1: real[2, h], b1: real[h], w2: real[h], b2: real, X: real[N, 2], y: real[N], λ: real) -> real wrt W1, b1, w2, b2`
 *
 * The value of `loss` and its gradient with respect to `W1`, `b1`, `w2`, `b2`.
 *
 * Given `workspace`, it works in that workspace: arrays it returns may be the workspace's, valid until its next call given it.
 */
export declare function lossGrad(W1: Matrix, b1: Float64Array, w2: Float64Array, b2: number, X: Matrix, y: Float64Array, λ: number, workspace?: Workspace): {
    value: number;
    grad: {
        W1: Matrix;
        b1: Float64Array;
        w2: Float64Array;
        b2: number;
    };
};
