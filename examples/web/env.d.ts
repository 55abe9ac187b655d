/// <reference types="vite/client" />

/** What the page shows beside the training, made at build time by vite.config.ts. */
declare module "virtual:gradc-showcase" {
  /** The model's file name. */
  export const filename: string;
  /** The model's source, highlighted. */
  export const sourceHtml: string;
  /** The TypeScript gradc generates for it, highlighted. */
  export const codeHtml: string;
  export const codeLines: number;
  /** The derivation of the loss's gradient, as `gradc explain` prints it, typeset by KaTeX. */
  export const derivationHtml: string;
}
