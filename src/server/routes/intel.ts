import type { FastifyInstance } from 'fastify';
import { CountersignError, ERROR_CODES, type ErrorCode } from '../../core/errors.js';
import type { IocFormat } from '../../intel/ioc/load.js';
import { enqueueIntelImport } from '../../jobs/intel-import-jobs.js';
import type { JobStatus } from '../../jobs/types.js';
import { waitForJob } from '../../jobs/wait-for-job.js';
import { actorOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { countEnqueued } from '../metrics.js';
import { HttpProblem } from '../problem.js';
import { PROTECTED_ERRORS, problemResponses } from '../schemas.js';
import { receiveUpload } from '../upload.js';

/**
 * Intel import over HTTP (issue 7: imports run as jobs): an IOC file (text list with defanged
 * forms, STIX 2.1 bundle, MISP event) is streamed into the blob store and an `import-intel` job
 * parses it with the same parsers as `countersign intel import`, in this process (SQLite) or on a
 * worker (PostgreSQL). What can be refused without parsing (media type, size, empty body, name,
 * format) is refused here, before anything is queued. The uploaded file stays in the blob store as
 * the source's provenance.
 */

const SERVER_IOC_FORMATS = ['text', 'stix', 'misp'] as const;
const SOURCE_NAME = '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$';

interface ImportQuery {
  name: string;
  format?: IocFormat;
  tag?: string[];
  wait?: boolean;
}

/** A failed import job as the problem its error would have been had the import run inline. */
function failedImportProblem(status: JobStatus): Error {
  const code = status.code;
  if (code !== undefined && (ERROR_CODES as readonly string[]).includes(code))
    return new CountersignError(code as ErrorCode, status.error ?? 'the import failed');
  return new HttpProblem(
    500,
    'E_INTERNAL',
    `the import job ${status.id} failed (GET /api/v1/jobs/${status.id} shows its error)`,
  );
}

export async function intelRoutes(app: FastifyInstance, context: RouteContext): Promise<void> {
  const { store, blobs, queue, metrics, limits } = context;
  const waitSeconds = Math.round(limits.maxJobWaitMs / 1000);

  app.post<{ Querystring: ImportQuery }>(
    '/intel/sources',
    {
      config: {
        access: 'analyst',
        upload: { description: 'an IOC file: text list, STIX 2.1 bundle or MISP event' },
      },
      schema: {
        tags: ['intel'],
        summary:
          'import an IOC file as a named intel source: queues an import job and returns it (202, Location: the job). ' +
          `With wait=true, waits up to ${waitSeconds} s for the job and answers 201 with the source (or the import's ` +
          'problem), else 202 as without. The same file under the same name joins the queued job and stores one source.',
        querystring: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', pattern: SOURCE_NAME },
            format: {
              type: 'string',
              enum: [...SERVER_IOC_FORMATS],
              description: 'default: from the content',
            },
            tag: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 20 },
            wait: {
              type: 'boolean',
              default: false,
              description: `wait (at most ${waitSeconds} s) for the import and answer with the source`,
            },
          },
        },
        response: {
          201: {
            type: 'object',
            required: ['source', 'rejected', 'jobId'],
            properties: {
              source: { $ref: 'IntelSource#' },
              rejected: { type: 'integer', description: 'input items that did not become indicators' },
              jobId: { type: 'string' },
            },
          },
          202: {
            type: 'object',
            required: ['jobId'],
            properties: { jobId: { type: 'string' } },
          },
          ...PROTECTED_ERRORS,
          ...problemResponses(413, 415),
        },
      },
    },
    async (request, reply) => {
      const { name, format, tag, wait } = request.query;
      const received = await receiveUpload(request, blobs, limits.maxIntelBytes);
      // Recorded in the store before it is queued, so a restart neither loses nor repeats it. The
      // same file under the same name while pending is that job; once imported, nothing is queued.
      const actor = actorOf(request);
      const { jobId, record, isQueued } = await enqueueIntelImport(store, queue, actor, {
        sha256: received.sha256,
        name,
        format: format ?? 'auto',
        ...(tag && tag.length > 0 ? { tags: tag } : {}),
        requestedBy: actor,
      });
      if (isQueued) countEnqueued(metrics, 'import-intel');
      const location = `/api/v1/jobs/${jobId}`;
      if (wait && !isQueued && record.sourceId !== undefined) {
        const source = (await store.listIntelSources()).find((item) => item.id === record.sourceId);
        if (source !== undefined) {
          return reply.code(201).send({ source, rejected: source.counts.rejected ?? 0, jobId });
        }
      }
      if (wait && isQueued) {
        // A client that hangs up stops the wait, not the job.
        const gone = new AbortController();
        const onClose = () => gone.abort();
        reply.raw.once('close', onClose);
        const status = await waitForJob(queue, jobId, {
          timeoutMs: limits.maxJobWaitMs,
          signal: gone.signal,
        }).finally(() => reply.raw.off('close', onClose));
        if (status?.state === 'failed') throw failedImportProblem(status);
        if (status?.state === 'completed') {
          const source = (await store.listIntelSources()).find((item) => item.importKey === record.importKey);
          if (source !== undefined) {
            return reply.code(201).send({ source, rejected: source.counts.rejected ?? 0, jobId });
          }
        }
      }
      return reply.code(202).header('location', location).send({ jobId });
    },
  );

  app.get(
    '/intel/sources',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['intel'],
        summary:
          'list the imported intel sources, and the imports not (yet) stored: pending (queued, running, or ' +
          'to be requeued when the server starts again) and failed (with the error and code of their job)',
        response: {
          200: {
            type: 'object',
            required: ['items', 'imports'],
            properties: {
              items: { type: 'array', items: { $ref: 'IntelSource#' } },
              imports: { type: 'array', items: { $ref: 'IntelImport#' } },
            },
          },
          ...PROTECTED_ERRORS,
        },
      },
    },
    async () => ({
      items: await store.listIntelSources(),
      imports: await store.listIntelImports({ states: ['pending', 'failed'] }),
    }),
  );
}
