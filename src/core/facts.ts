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

/** A facts array indexed by kind, and the length it had then. */
interface KindIndex {
  readonly length: number;
  readonly byKind: ReadonlyMap<FactKind, readonly Fact[]>;
}

const kindIndexes = new WeakMap<readonly Fact[], KindIndex>();
const NO_FACTS: readonly never[] = Object.freeze([]);

/**
 * The facts of one kind, in their order. Indexed once per facts array: a scan's rules ask each of
 * its ~10,000 nodes for the same kinds some sixty times, and a new filtered array per question was a
 * third of what the main thread allocated while judging node_modules. Facts are only ever appended
 * to a node, so an array that has grown since it was indexed is indexed again. The array returned
 * is shared: read it, do not change it.
 */
export function factsOfKind<K extends FactKind>(facts: readonly Fact[], kind: K): readonly FactOf<K>[] {
  let index = kindIndexes.get(facts);
  if (index === undefined || index.length !== facts.length) {
    index = indexByKind(facts);
    kindIndexes.set(facts, index);
  }
  return (index.byKind.get(kind) ?? NO_FACTS) as readonly FactOf<K>[];
}

function indexByKind(facts: readonly Fact[]): KindIndex {
  const byKind = new Map<FactKind, Fact[]>();
  for (const fact of facts) {
    const list = byKind.get(fact.kind);
    if (list === undefined) byKind.set(fact.kind, [fact]);
    else list.push(fact);
  }
  return { length: facts.length, byKind };
}
