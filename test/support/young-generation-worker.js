// Reports the size of its own young generation, in MB, as it starts (src/core/v8-policy.test.ts).
import { getHeapSpaceStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';

const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
parentPort?.postMessage(young.space_size / 1048576);
