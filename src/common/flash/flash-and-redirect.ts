import { HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import { flash, FlashType } from './flash';

/**
 * Post/redirect/get: queues a message for the next page this browser renders, then answers 303 See Other to `url`,
 * so that reloading that page does not send the form again.
 *
 *   flashAndRedirect(req, res, 'success', PROFILE_SAVED, '/account');
 */
export function flashAndRedirect(req: Request, res: Response, type: FlashType, message: string, url: string): void {
  flash(req, type, message);
  res.redirect(HttpStatus.SEE_OTHER, url);
}
