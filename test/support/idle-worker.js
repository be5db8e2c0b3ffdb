// An idle worker thread (src/core/v8-policy.test.ts): starting it sets up a V8 heap, which is the point.
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', () => undefined);
