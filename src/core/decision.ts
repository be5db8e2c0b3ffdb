/** A release's verdict, shared by the pipeline that decides it and the store that keeps it. */
export const DECISIONS = ['pass', 'review', 'block'] as const;
export type Decision = (typeof DECISIONS)[number];
