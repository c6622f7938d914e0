import {
  BaseRequestPolicy,
  BlobServiceClient,
  ContainerClient,
  HttpOperationResponse,
  newPipeline,
  RequestPolicy,
  RequestPolicyOptions,
  RestError,
  WebResource,
} from '@azure/storage-blob';
import { rm } from 'node:fs/promises';
import { putOpened } from './put-opened';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobDownload, BlobNotFoundError, BlobStorage, PutOptions, StorageUnavailableError, StoredBlob } from './blob-storage.port';
import { assertSafeKey, assertSafePrefix } from './storage-key';

const RETRY_OPTIONS = { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 4000, tryTimeoutInMs: 10_000 };
/** Client-side limit for a request, its retries included, to get its response headers; see DeadlinePolicy. */
const REQUEST_DEADLINE_MS = 10_000;
const BLOCK_SIZE = 4 * 1024 * 1024;
const MAX_BUFFERS = 2;

/** Keeps blobs in one private Azure Blob Storage container, uploading in 4 MB blocks committed only when complete. */
export class AzureBlobStorage implements BlobStorage {
  private readonly container: ContainerClient;

  constructor(connectionString: string, container: string) {
    // `tryTimeoutInMs` only sets the server-side `timeout` query parameter; the SDK puts no limit on a request that
    // hangs (a black-holed address, a server that never answers), so requests also get a client-side deadline.
    const parsed = BlobServiceClient.fromConnectionString(connectionString);
    const withTimeouts = newPipeline(parsed.credential, { retryOptions: RETRY_OPTIONS });
    withTimeouts.factories.push({ create: (next, options) => new DeadlinePolicy(next, options) });
    this.container = new BlobServiceClient(parsed.url, withTimeouts).getContainerClient(container);
  }

  async init(): Promise<void> {
    await this.call('create the container', () => this.container.createIfNotExists()); // no `access`: private
  }

  /** Nothing to do: blocks of an interrupted upload were never committed, and Azure discards them after a week. */
  async removeUnfinished(): Promise<void> {}

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredBlob> {
    const blob = this.container.getBlockBlobClient(checked(key));
    options.signal?.throwIfAborted();
    // The Transform counts bytes and turns a failing, aborted or prematurely closed body into an 'error' the SDK sees.
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    const piped = pipeline(body, counted, { signal: options.signal });
    const uploaded = blob
      .uploadStream(counted, BLOCK_SIZE, MAX_BUFFERS, {
        blobHTTPHeaders: { blobContentType: options.contentType },
        abortSignal: options.signal,
      })
      .catch((error) => {
        counted.destroy(); // stop reading the body: nothing more will be sent
        throw error;
      });
    try {
      const [, response] = await Promise.all([piped, uploaded]);
      return { key, size, etag: response.etag ?? '', lastModified: response.lastModified ?? new Date() };
    } catch (error) {
      throw classify(error, 'upload the blob', options.signal);
    }
  }

  /**
   * Streams the file up as `put` does (4 MB blocks, each request under the client-side deadline), then removes it.
   * The SDK's `uploadFile` (parallel blocks from the file) did not fail within the deadline when the service stopped
   * answering mid-upload, so it is not used.
   */
  async putFile(key: string, path: string, options: PutOptions): Promise<StoredBlob> {
    checked(key);
    options.signal?.throwIfAborted();
    const stored = await putOpened(path, (body) => this.put(key, body, options));
    await rm(path, { force: true });
    return stored;
  }

  async get(key: string): Promise<BlobDownload> {
    const response = await this.call('download the blob', () => this.container.getBlobClient(checked(key)).download(), key);
    return {
      stream: response.readableStreamBody as Readable,
      size: response.contentLength ?? 0,
      contentType: response.contentType ?? 'application/octet-stream',
      etag: response.etag ?? '',
    };
  }

  async delete(key: string): Promise<void> {
    await this.call('delete the blob', () => this.container.getBlobClient(checked(key)).deleteIfExists());
  }

  async exists(key: string): Promise<boolean> {
    return this.call('check the blob', () => this.container.getBlobClient(checked(key)).exists());
  }

  async *list(prefix: string): AsyncIterable<StoredBlob> {
    assertSafePrefix(prefix);
    try {
      for await (const item of this.container.listBlobsFlat({ prefix })) {
        const { contentLength, etag, lastModified } = item.properties;
        yield { key: item.name, size: contentLength ?? 0, etag: etag ?? '', lastModified };
      }
    } catch (error) {
      throw classify(error, 'list blobs');
    }
  }

  private async call<T>(action: string, run: () => Promise<T>, missingKey?: string): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (missingKey !== undefined && error instanceof RestError && error.statusCode === 404) throw new BlobNotFoundError(missingKey);
      throw classify(error, action);
    }
  }
}

/** Aborts a request (all its tries) that has no response headers after REQUEST_DEADLINE_MS, so a hung endpoint fails fast. */
class DeadlinePolicy extends BaseRequestPolicy {
  constructor(next: RequestPolicy, options: RequestPolicyOptions) {
    super(next, options);
  }

  async sendRequest(request: WebResource): Promise<HttpOperationResponse> {
    // Own timer instead of `request.timeout`: the SDK leaves that one running after a failed try.
    const deadline = new AbortController();
    const caller = request.abortSignal;
    const forward = () => deadline.abort();
    if (caller?.aborted) deadline.abort();
    else caller?.addEventListener('abort', forward);
    const timer = setTimeout(forward, REQUEST_DEADLINE_MS);
    request.abortSignal = deadline.signal;
    try {
      return await this._nextPolicy.sendRequest(request);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', forward);
    }
  }
}

function checked(key: string): string {
  assertSafeKey(key);
  return key;
}

/** Network failures, timeouts and 5xx answers (after the retries) become StorageUnavailableError; anything else is kept. */
function classify(error: unknown, action: string, signal?: AbortSignal): unknown {
  if (signal?.aborted) return error; // the caller gave up: not an outage
  const name = (error as Error)?.name;
  if (name === 'AbortError') {
    return new StorageUnavailableError(`Azure Blob Storage did not answer in time (could not ${action})`, { cause: error });
  }
  if (error instanceof RestError) {
    const status = error.statusCode ?? 0;
    if (status === 0 || status === 408 || status >= 500) {
      const reason = status ? `HTTP ${status}` : (error.code ?? 'network error');
      return new StorageUnavailableError(`Azure Blob Storage is unavailable (${reason}); could not ${action}`, { cause: error });
    }
  }
  return error;
}
