import type { Fact, FactKind } from '../core/facts.js';
import type { FactChange } from './tree-diff.js';

/**
 * How facts of one kind are identified across two releases, and what of them is compared. A
 * fact's identity must survive a rebuild: a JS capability moves lines in every release, so it is
 * identified by what it is (`network.outbound` via `https.request`), and its position is not
 * compared at all. Kinds not listed here occur once per node and are compared whole.
 */
interface KindPolicy {
  identity(fact: Fact): string;
  /** What `changed` compares; undefined: identity only (an instance is there or not). */
  comparable?(fact: Fact): unknown;
}

const ONCE_PER_NODE: KindPolicy = { identity: () => '', comparable: (fact) => fact };

function field(fact: Fact, name: string): unknown {
  return (fact as unknown as Record<string, unknown>)[name];
}

const POLICIES: Partial<Record<FactKind, KindPolicy>> = {
  'pe.capability': {
    identity: (fact) => String(field(fact, 'capability')),
    comparable: (fact) => field(fact, 'strength'),
  },
  'js.capability': {
    identity: (fact) => `${String(field(fact, 'capability'))}:${String(field(fact, 'detail') ?? '')}`,
  },
  'pe.authenticode.signature': {
    identity: (fact) => `${String(field(fact, 'entryIndex'))}:${String(field(fact, 'depth'))}`,
    comparable: (fact) => {
      const signer = field(fact, 'signer') as { sha256Thumbprint?: string } | undefined;
      return { signer: signer?.sha256Thumbprint, isValid: field(fact, 'isValid') };
    },
  },
  'pe.authenticode.malformed': {
    identity: (fact) => `${String(field(fact, 'entryIndex'))}:${String(field(fact, 'code'))}`,
  },
};

function policyOf(kind: FactKind): KindPolicy {
  return POLICIES[kind] ?? ONCE_PER_NODE;
}

/** JSON with sorted keys: equal data gives equal text whatever order its keys were built in. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : typeof inner === 'bigint'
        ? inner.toString()
        : inner,
  );
}

/** Facts indexed by `kind` + identity; the first instance of a repeated identity stands for all. */
function index(facts: readonly Fact[]): Map<string, { kind: FactKind; key: string; fact: Fact }> {
  const out = new Map<string, { kind: FactKind; key: string; fact: Fact }>();
  for (const fact of facts) {
    const key = policyOf(fact.kind).identity(fact);
    const id = `${fact.kind}\u0000${key}`;
    if (!out.has(id)) out.set(id, { kind: fact.kind, key, fact });
  }
  return out;
}

/** The typed difference of two nodes' facts: what appeared, what went, what changed. */
export function diffFacts(before: readonly Fact[], after: readonly Fact[]): FactChange[] {
  const old = index(before);
  const now = index(after);
  const changes: FactChange[] = [];
  for (const [id, entry] of now) {
    const previous = old.get(id);
    if (!previous) {
      changes.push({ change: 'added', kind: entry.kind, key: entry.key, after: entry.fact });
      continue;
    }
    const compare = policyOf(entry.kind).comparable;
    if (compare && stableJson(compare(previous.fact)) !== stableJson(compare(entry.fact))) {
      changes.push({
        change: 'changed',
        kind: entry.kind,
        key: entry.key,
        before: previous.fact,
        after: entry.fact,
      });
    }
  }
  for (const [id, entry] of old) {
    if (!now.has(id))
      changes.push({ change: 'removed', kind: entry.kind, key: entry.key, before: entry.fact });
  }
  return changes;
}
