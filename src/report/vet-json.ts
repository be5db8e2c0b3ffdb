/**
 * The vet JSON report: the candidate's scan report (schemas/scan-report.schema.json) extended with
 * `verdict`, the vet `findings[]` (diff findings and the candidate's node findings, each with its
 * `origin`), the `baseline` subjects and a `diff` summary of every pair that is not unchanged.
 */
import type { FactChange, NodePair } from '../diff/tree-diff.js';
import type { VetResult } from '../pipeline/vet.js';
import { toReportJson } from './json.js';

export const VET_REPORT_KIND = 'countersign/vet';

type Json = ReturnType<typeof toReportJson>[string];

function factChangeJson(change: FactChange): Json {
  return { change: change.change, kind: change.kind, key: change.key };
}

function pairJson(pair: NodePair): Json {
  const out: { [key: string]: Json } = { key: pair.key, status: pair.status };
  if (pair.baseline) out.baseline = pair.baseline.path;
  if (pair.candidate) out.candidate = pair.candidate.path;
  if (pair.distance !== undefined) out.distance = pair.distance;
  if (pair.baseline?.digests && pair.candidate?.digests && pair.status !== 'unchanged') {
    out.sha256 = { baseline: pair.baseline.digests.sha256, candidate: pair.candidate.digests.sha256 };
  }
  out.facts = pair.facts.map(factChangeJson);
  return out;
}

export function toVetReportJson(result: VetResult): { [key: string]: Json } {
  const scanJson = toReportJson({ ...result.candidate, findings: result.findings, gaps: result.gaps });
  const findings = (scanJson.findings as Array<{ [key: string]: Json }>).map((finding, index) => ({
    ...finding,
    origin: result.findings[index]!.origin,
  }));
  const { verdict } = result;
  return {
    kind: VET_REPORT_KIND,
    ...scanJson,
    findings,
    verdict: {
      decision: verdict.decision,
      reasons: [...verdict.reasons],
      policy: { id: verdict.policy.id, version: verdict.policy.version },
      score: {
        total: verdict.score.total,
        lines: verdict.score.lines.map((line) => ({
          ruleId: line.ruleId,
          path: line.path,
          severity: line.severity,
          confidence: line.confidence,
          origin: line.origin,
          points: line.points,
          ...(line.excluded ? { excluded: line.excluded } : {}),
        })),
      },
    },
    baseline: {
      subjects: toReportJson(result.baseline).subjects ?? [],
      stats: toReportJson(result.baseline).stats ?? null,
    },
    diff: {
      counts: { ...result.diff.counts },
      pairs: result.diff.pairs.filter((pair) => pair.status !== 'unchanged').map(pairJson),
    },
  };
}

export function renderVetJson(result: VetResult): string {
  return `${JSON.stringify(toVetReportJson(result), null, 2)}\n`;
}
