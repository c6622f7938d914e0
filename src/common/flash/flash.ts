import type { Request } from 'express';

export type FlashType = 'success' | 'danger' | 'warning' | 'info';

export interface FlashMessage {
  type: FlashType;
  message: string;
}

/** Queues a message for the next page this session renders (post/redirect/get). */
export function flash(req: Request, type: FlashType, message: string): void {
  req.session.flash = [...(req.session.flash ?? []), { type, message }];
}

/** Returns and forgets the queued messages. */
export function takeFlash(req: Request): FlashMessage[] {
  const messages = req.session?.flash ?? [];
  if (messages.length > 0) delete req.session.flash;
  return messages;
}
