// Blob uploads: POST to open an upload, then one monolithic PUT, or PATCH chunks in order and a closing PUT with ?digest=.
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pushScope } from './authorizer';
import type { RequestContext } from './client';
import { RegistryError } from './errors';
import { discard, type Response } from './transport';

export interface PushBlobOptions {
  /** Send the blob in PATCH chunks of this many bytes (raised to the registry's OCI-Chunk-Min-Length);
   * unset: the whole blob in the closing PUT, which every registry takes and costs one request. */
  chunkSize?: number;
}

/** One upload attempt; the client retries the whole of it (with a fresh stream) on transient failures. */
export async function uploadBlob(
  context: RequestContext,
  digest: string,
  size: number,
  openStream: () => Readable | Promise<Readable>,
  options: PushBlobOptions,
): Promise<void> {
  const scopes = [pushScope(context.repository)];
  const startPath = `/v2/${context.repository}/blobs/uploads/`;
  const started = await context.request({ method: 'POST', path: startPath, scopes, idempotent: true });
  if (started.status !== 202) {
    if (started.status === 201) {
      // Some registries finish an empty POST at once; nothing was uploaded, so this is not the blob.
      await discard(started);
      throw new RegistryError(`registry ${context.domain} closed the upload of ${digest} before any data was sent`, 'protocol');
    }
    throw await context.failure(started, { what: 'upload', reference: digest, method: 'POST', url: startPath });
  }
  let location = uploadLocation(context, started);
  const minimum = Number(started.headers.get('oci-chunk-min-length')) || 0;
  await discard(started);

  const stream = await openStream();
  try {
    if (options.chunkSize === undefined) {
      // pipeline, not pipe: a failing source (an unreadable file) must fail the request, not stall it.
      const body = exactly(size, digest);
      pipeline(stream, body, () => undefined);
      const put = await context.request({
        method: 'PUT',
        path: withDigest(location, digest),
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
        body,
        scopes,
        idempotent: false,
      });
      await finish(context, put, digest, location);
      return;
    }
    const chunkSize = Math.max(options.chunkSize, minimum, 1);
    let offset = 0;
    for await (const chunk of chunks(stream, chunkSize)) {
      const patch = await context.request({
        method: 'PATCH',
        path: location,
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(chunk.length),
          // The distribution API's form: inclusive byte offsets, no unit.
          'Content-Range': `${offset}-${offset + chunk.length - 1}`,
        },
        body: chunk,
        scopes,
        idempotent: false,
      });
      if (patch.status !== 202) throw await context.failure(patch, { what: 'upload', reference: digest, method: 'PATCH', url: location });
      location = uploadLocation(context, patch, location);
      await discard(patch);
      offset += chunk.length;
    }
    if (offset !== size) {
      throw new RegistryError(`blob ${digest} to push is ${offset} bytes, not the ${size} its descriptor gives`, 'digest-mismatch');
    }
    const put = await context.request({
      method: 'PUT',
      path: withDigest(location, digest),
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '0' },
      scopes,
      idempotent: true,
    });
    await finish(context, put, digest, location);
  } finally {
    if (!stream.destroyed) stream.destroy();
  }
}

async function finish(context: RequestContext, put: Response, digest: string, location: string): Promise<void> {
  if (put.status !== 201 && put.status !== 204) {
    throw await context.failure(put, { what: 'upload', reference: digest, method: 'PUT', url: stripQuery(location) });
  }
  const stored = put.headers.get('docker-content-digest');
  await discard(put);
  if (stored && stored !== digest) {
    throw new RegistryError(`registry ${context.domain} stored the blob pushed as ${digest} under ${stored}`, 'digest-mismatch');
  }
}

/** The upload URL for the next request: Location may be absolute or relative to the request's URL. */
function uploadLocation(context: RequestContext, response: Response, previous?: string): string {
  const location = response.headers.get('location');
  if (!location) {
    if (previous) return previous;
    throw new RegistryError(`registry ${context.domain} opened an upload without saying where to send it (no Location header)`, 'protocol');
  }
  return context.resolve(location, response.url);
}

/**
 * Passes exactly `size` bytes or fails. The request declared that Content-Length: bytes beyond it
 * would be read by the server as the start of the next request on the kept-alive connection, and
 * a short body would leave the server waiting.
 */
function exactly(size: number, digest: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > size) callback(new RegistryError(`blob ${digest} to push is more than the ${size} bytes its descriptor gives`, 'digest-mismatch'));
      else callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (seen !== size) callback(new RegistryError(`blob ${digest} to push is ${seen} bytes, not the ${size} its descriptor gives`, 'digest-mismatch'));
      else callback();
    },
  });
}

/** Adds `digest=` to an upload URL, keeping the registry's own query (`_state=…`). */
export function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url.href;
}

function stripQuery(location: string): string {
  const url = new URL(location);
  return `${url.origin}${url.pathname}`;
}

/** Re-slices a stream into chunks of exactly `size` bytes (the last one shorter). */
export async function* chunks(stream: AsyncIterable<Buffer | string>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const piece of stream) {
    let data = typeof piece === 'string' ? Buffer.from(piece) : piece;
    while (data.length > 0) {
      const take = Math.min(size - length, data.length);
      pending.push(data.subarray(0, take));
      length += take;
      data = data.subarray(take);
      if (length === size) {
        yield Buffer.concat(pending);
        pending = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}
