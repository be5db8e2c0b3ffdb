/**
 * A collapsible tree of node paths (`a.zip!/dir/b.dll`): one level per folder or nested
 * container, native `<details>` elements so it folds without script. Each entry brings its own
 * line (status, facts, digests) already escaped.
 */
import { NESTING_SEPARATOR } from '../../core/node-path.js';
import { escapeHtml, token } from './escape.js';

export interface TreeEntry {
  readonly path: string;
  /** Escaped HTML shown after the name. */
  readonly detail: string;
  /** `added`, `modified`... for a diff tree; a CSS class and a `data-status`. */
  readonly status?: string;
  readonly mark?: string;
}

interface TreeNode {
  readonly name: string;
  readonly children: Map<string, TreeNode>;
  entry?: TreeEntry;
  /** A nested container (an archive whose entries are its children), not a folder. */
  isContainer: boolean;
}

const newNode = (name: string): TreeNode => ({ name, children: new Map(), isContainer: false });

/** The path's segments, with the index of each nesting level's last segment (the container). */
function segmentsOf(path: string): { segments: string[]; containers: Set<number> } {
  const segments: string[] = [];
  const containers = new Set<number>();
  const levels = path.split(NESTING_SEPARATOR);
  levels.forEach((level, index) => {
    segments.push(...level.split('/').filter((segment) => segment !== ''));
    if (index < levels.length - 1) containers.add(segments.length - 1);
  });
  return { segments, containers };
}

export function buildTree(entries: readonly TreeEntry[]): TreeNode {
  const root = newNode('');
  for (const entry of entries) {
    const { segments, containers } = segmentsOf(entry.path);
    let node = root;
    segments.forEach((segment, index) => {
      let child = node.children.get(segment);
      if (!child) {
        child = newNode(segment);
        node.children.set(segment, child);
      }
      if (containers.has(index)) child.isContainer = true;
      node = child;
    });
    node.entry = entry;
  }
  return root;
}

function label(node: TreeNode): string {
  const entry = node.entry;
  const mark = entry?.mark
    ? `<span class="st st-${token(entry.status ?? 'none')}" title="${escapeHtml(entry.status ?? '')}">${escapeHtml(entry.mark)}</span> `
    : '';
  return `${mark}<code>${escapeHtml(node.name)}</code>${entry ? entry.detail : ''}`;
}

function renderNode(node: TreeNode, depth: number, openDepth: number): string {
  const status = node.entry?.status ? ` data-status="${token(node.entry.status)}"` : '';
  if (node.children.size === 0) return `<li class="leaf"${status}>${label(node)}</li>`;
  const open = depth < openDepth ? ' open' : '';
  const kind = node.isContainer ? 'container-node' : 'folder-node';
  const children = [...node.children.values()].map((child) => renderNode(child, depth + 1, openDepth));
  return `<li class="${kind}"${status}><details${open}><summary>${label(node)}</summary><ul>${children.join('')}</ul></details></li>`;
}

/** The tree as nested lists; levels deeper than `openDepth` start folded. */
export function renderTree(entries: readonly TreeEntry[], openDepth = Number.POSITIVE_INFINITY): string {
  const root = buildTree(entries);
  const items = [...root.children.values()].map((child) => renderNode(child, 0, openDepth));
  return (
    '<div class="tree-tools"><button type="button" id="tree-expand">Expand all</button>' +
    '<button type="button" id="tree-collapse">Collapse all</button></div>' +
    `<ul class="tree">${items.join('')}</ul>`
  );
}
