import type { TreeProgress } from '../artifact/engine.js';

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/**
 * A one-line progress bar on a TTY (stderr): percent of input bytes walked, nodes, bytes read,
 * and the node being read. Off the TTY it prints nothing, so pipes and CI logs stay clean.
 */
export function createProgressBar(stream: NodeJS.WriteStream): {
  update(progress: TreeProgress): void;
  done(): void;
} {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let shown = false;
  return {
    update(progress) {
      const width = stream.columns ?? 80;
      const ratio = progress.inputBytes > 0 ? Math.min(1, progress.inputBytesDone / progress.inputBytes) : 0;
      const barWidth = 20;
      const filled = Math.round(ratio * barWidth);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%`;
      const counts = `${progress.nodes} files, ${formatBytes(progress.bytes)}`;
      const room = Math.max(0, width - bar.length - counts.length - 4);
      const current =
        progress.current.length > room ? `…${progress.current.slice(-(room - 1))}` : progress.current;
      stream.write(`\r\x1b[2K${bar} ${counts} ${room > 8 ? current : ''}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
