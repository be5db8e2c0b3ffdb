/**
 * Facts are what analyzers extract from a node, without judgement.
 *
 * The set of fact kinds grows with each analyzer. Each analyzer module declares its own fact
 * shapes by augmenting `FactRegistry`, so the union below stays a closed, discriminated union
 * without a central file that every plugin must edit:
 *
 *   declare module '../core/facts.js' {
 *     interface FactRegistry { 'npm.manifest': NpmManifestFact }
 *   }
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by analyzer modules
export interface FactRegistry {}

export type FactKind = keyof FactRegistry;

/** One fact: `{ kind: 'npm.manifest', ...NpmManifestFact }`. */
export type Fact = { [K in FactKind]: { readonly kind: K } & FactRegistry[K] }[FactKind];

export type FactOf<K extends FactKind> = Extract<Fact, { kind: K }>;

export function factsOfKind<K extends FactKind>(facts: readonly Fact[], kind: K): FactOf<K>[] {
  return facts.filter((fact): fact is FactOf<K> => fact.kind === kind);
}
