import type { Request, Response } from 'express';
import { wantsFragment } from './htmx';

export interface PageAndFragment {
  /** The whole page, e.g. 'pages/photos/gallery'; it includes the fragment as a partial. */
  page: string;
  /** The part htmx swaps in, e.g. 'partials/photos/grid-page', rendered without the layout. */
  fragment: string;
}

/** What only the page shows (title, tabs, figures around the fragment): given as is, or computed for the page only. */
export type PageOnly = object | (() => object | Promise<object>);

/**
 * One URL, two answers: the whole page, or — for an htmx request that wants one (see `wantsFragment`) — only its
 * fragment. Both get `model`; the page also gets `pageOnly`, which a fragment request never computes.
 *
 *   await renderPageOrFragment(req, res, { page: 'pages/admin/users', fragment: 'partials/admin/users-table' }, model,
 *     { title: 'Users', tab: { users: true } });
 */
export async function renderPageOrFragment(
  req: Request,
  res: Response,
  views: PageAndFragment,
  model: object,
  pageOnly: PageOnly = {},
): Promise<void> {
  if (wantsFragment(req)) return res.render(views.fragment, { ...model, layout: false });
  const extra = typeof pageOnly === 'function' ? await pageOnly() : pageOnly;
  res.render(views.page, { ...model, ...extra });
}
