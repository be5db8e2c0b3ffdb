/**
 * Offsets in oxc's buffer that `layout.generated.ts` cannot give, because oxc's lazy node classes
 * (which it is read from) do not expose them: the parse result around the program (comments,
 * errors) and the directives of programs and function bodies. Written by hand from
 * `oxc-parser/src-js/generated/deserialize/{js,ts}.js`; `raw-data.test.ts` checks them there.
 */
export const RAW_DATA = Object.freeze({
  /** `RawTransferData.comments`, a Vec of `Comment` (start and end first). */
  comments: 144,
  commentStride: 24,
  /** `RawTransferData.errors`, a Vec of `Error`: message (`Str`) first, then its labels. */
  errors: 272,
  errorStride: 80,
  errorMessage: 0,
  errorLabels: 16,
  /** `ErrorLabel`: start and end first. */
  labelStride: 24,
});

/** Where the directives (`'use strict'`) of a program and of a function body are: Vecs of 80-byte `Directive`s. */
export const DIRECTIVES = Object.freeze({ Program: 88, FunctionBody: 16 });
