import type { FastifyInstance } from 'fastify';
import { CountersignError, isCountersignError } from '../../core/errors.js';
import { type IocFormat, importIocFile } from '../../intel/ioc/load.js';
import { indicatorRecordOf } from '../../jobs/import-intel-handler.js';
import { actorOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { PROTECTED_ERRORS, problemResponses } from '../schemas.js';
import { receiveUpload } from '../upload.js';

/**
 * Intel import over HTTP: an IOC file (text list with defanged forms, STIX 2.1 bundle, MISP event)
 * uploaded as bytes, parsed by the same parsers as `countersign intel import`, stored as a named
 * source with its indicators. The uploaded file stays in the blob store as provenance.
 */

const SERVER_IOC_FORMATS = ['text', 'stix', 'misp'] as const;
const SOURCE_NAME = '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$';

export async function intelRoutes(app: FastifyInstance, context: RouteContext): Promise<void> {
  const { store, blobs, limits } = context;

  app.post<{ Querystring: { name: string; format?: IocFormat; tag?: string[] } }>(
    '/intel/sources',
    {
      config: {
        access: 'analyst',
        upload: { description: 'an IOC file: text list, STIX 2.1 bundle or MISP event' },
      },
      schema: {
        tags: ['intel'],
        summary:
          'import an IOC file as a named intel source (importing the same file under the same name again returns the first import)',
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
          },
        },
        response: {
          201: {
            type: 'object',
            required: ['source', 'rejected'],
            properties: {
              source: { $ref: 'IntelSource#' },
              rejected: { type: 'integer', description: 'input items that did not become indicators' },
            },
          },
          ...PROTECTED_ERRORS,
          ...problemResponses(413, 415),
        },
      },
    },
    async (request, reply) => {
      const { name, format, tag } = request.query;
      const received = await receiveUpload(request, blobs, limits.maxIntelBytes);
      const path = await blobs.localPath(received.sha256);
      let imported: Awaited<ReturnType<typeof importIocFile>>;
      try {
        imported = await importIocFile(path, {
          source: name,
          maxBytes: limits.maxIntelBytes,
          ...(format ? { format } : {}),
          ...(tag ? { tags: tag } : {}),
        });
      } catch (error) {
        // The parsers name the file they read: show the source name, not the server's blob path.
        if (isCountersignError(error))
          throw new CountersignError(error.code, error.message.replaceAll(path, name), { cause: error });
        throw error;
      }
      const counts: Record<string, number> = { indicators: imported.indicators.length };
      for (const indicator of imported.indicators) counts[indicator.type] = (counts[indicator.type] ?? 0) + 1;
      const source = await store.saveIntelSource(
        actorOf(request),
        {
          name,
          kind: 'ioc',
          origin: `upload:sha256:${received.sha256}`,
          fetchedAt: new Date().toISOString(),
          counts,
          // The same file imported again under the same name is the same source, not a second one.
          importKey: `upload:${received.sha256}:${name}`,
        },
        imported.indicators.map(indicatorRecordOf),
      );
      return reply.code(201).send({ source, rejected: imported.rejected.length });
    },
  );

  app.get(
    '/intel/sources',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['intel'],
        summary: 'list the imported intel sources',
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: { $ref: 'IntelSource#' } } },
          },
          ...PROTECTED_ERRORS,
        },
      },
    },
    async () => ({ items: await store.listIntelSources() }),
  );
}
