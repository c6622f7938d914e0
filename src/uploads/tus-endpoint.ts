import { Inject, Injectable, Logger } from '@nestjs/common';
import { Server } from '@tus/server';
import type { Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { FinishedUploads } from './finished-uploads';
import type { PartialStore } from './partial-store';
import { PARTIAL_STORE } from './partial-store.provider';

export const TUS_PATH = '/uploads';
export const TUS_RESUMABLE = '1.0.0';

type TusRequest = Parameters<NonNullable<ConstructorParameters<typeof Server>[0]['namingFunction']>>[0];

/**
 * @tus/server on the partial store: the tus 1.0 protocol (creation, HEAD, PATCH, termination) after the controller
 * has checked the login, the CSRF token, the owner and the declared size. The id of a new upload is the one
 * PartialUploads recorded for it; Location is relative (`/uploads/<id>`), so it is right behind any proxy.
 */
@Injectable()
export class TusEndpoint {
  private readonly logger = new Logger('Uploads');
  private readonly server: Server;
  private readonly newIds = new WeakMap<IncomingMessage, string>();

  constructor(@Inject(PARTIAL_STORE) store: PartialStore, finished: FinishedUploads, @Inject(APP_CONFIG) config: AppConfig) {
    this.server = new Server({
      path: TUS_PATH,
      datastore: store.tus,
      relativeLocation: true,
      maxSize: config.uploads.maxFileBytes,
      allowedOrigins: [new URL(config.baseUrl).origin],
      exposedHeaders: ['Photo-Id', 'Upload-Refused'],
      namingFunction: (req) => {
        const id = this.newIds.get(nodeRequestOf(req));
        if (!id) throw new Error('An upload was created without a recorded id');
        return id;
      },
      // The protocol's own status stays (204 for PATCH, 201 for a POST that brought every byte): the client sees the
      // upload finish either way, and reads the outcome from the headers.
      onUploadFinish: async (_req, upload) => ({ headers: await finished.finish(upload.id) }),
      // The protocol's own refusals (409 wrong offset, 412…) go out as they are; anything else is logged and answered
      // without its message, which could name files or SQL.
      onResponseError: (_req, error) => {
        if ('status_code' in error) return undefined;
        this.logger.error({ msg: 'A resumable upload request failed', error: String(error), stack: error.stack });
        return { status_code: 500, body: 'Something went wrong on our side. Please try again in a moment.\n' };
      },
    });
  }

  /** Answers the request by the protocol; `newId` is the recorded id for a POST that creates an upload. */
  async handle(req: Request, res: Response, newId?: string): Promise<void> {
    if (newId) this.newIds.set(req, newId);
    await this.server.handle(req, res);
  }
}

function nodeRequestOf(req: TusRequest): IncomingMessage {
  return (req as TusRequest & { runtime: { node: { req: IncomingMessage } } }).runtime.node.req;
}
