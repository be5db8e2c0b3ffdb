import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BlobStore } from '../store/types.js';
import { HttpProblem } from './problem.js';

/**
 * Uploads are raw `application/octet-stream` bodies streamed straight into the blob store, which
 * hashes while writing and stops at the limit (nothing kept). Fastify's parser only hands the
 * request stream through; no upload is ever buffered whole in memory.
 */

export const UPLOAD_MEDIA_TYPE = 'application/octet-stream';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes a raw upload body (documented as a binary request body in OpenAPI). */
    upload?: { readonly description: string };
  }
}

export function installUploadParser(app: FastifyInstance): void {
  app.addContentTypeParser(UPLOAD_MEDIA_TYPE, (_request, payload, done) => done(null, payload));
}

export async function receiveUpload(
  request: FastifyRequest,
  blobs: BlobStore,
  maxBytes: number,
): Promise<{ sha256: string; sha1: string; md5: string; size: number }> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== UPLOAD_MEDIA_TYPE) {
    throw new HttpProblem(415, 'E_API_UNSUPPORTED_MEDIA_TYPE', `send the file as ${UPLOAD_MEDIA_TYPE}`);
  }
  const declared = Number(request.headers['content-length']);
  // Refuse a declared oversize body before reading any of it.
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HttpProblem(413, 'E_UPLOAD_TOO_LARGE', `upload of ${declared} bytes exceeds ${maxBytes}`);
  }
  if (declared === 0) throw new HttpProblem(400, 'E_API_BAD_REQUEST', 'empty upload');
  // A client that goes away mid-upload makes the request stream fail; the blob store sees that
  // through its iterator, and this listener keeps the error from escaping as an unhandled event
  // while the store is still opening its temp file.
  request.raw.on('error', () => {});
  const received = await blobs.put(request.raw, { maxBytes });
  if (received.size === 0) {
    // Only a refused upload ever produces the empty blob, so removing it takes nothing from anyone.
    await blobs.delete(received.sha256);
    throw new HttpProblem(400, 'E_API_BAD_REQUEST', 'empty upload');
  }
  return received;
}
