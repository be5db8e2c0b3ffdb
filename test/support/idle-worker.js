// An idle worker thread (src/core/heap-policy.test.ts): starting it sets up a V8 heap, which is the point.
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', () => undefined);
