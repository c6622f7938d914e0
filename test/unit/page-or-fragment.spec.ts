import type { Request, Response } from 'express';
import { renderPageOrFragment } from '../../src/common/htmx/page-or-fragment';

const views = { page: 'pages/things', fragment: 'partials/things' };
const requestWith = (headers: Record<string, string>) => ({ get: (name: string) => headers[name] }) as unknown as Request;
const response = () => ({ render: jest.fn() }) as unknown as Response & { render: jest.Mock };

describe(renderPageOrFragment.name, () => {
  it('renders the whole page, with what only the page shows, for a plain request', async () => {
    const res = response();
    await renderPageOrFragment(requestWith({}), res, views, { things: [1] }, { title: 'Things' });
    expect(res.render).toHaveBeenCalledWith('pages/things', { things: [1], title: 'Things' });
  });

  it('renders the whole page for boosted htmx navigation', async () => {
    const res = response();
    await renderPageOrFragment(requestWith({ 'HX-Request': 'true', 'HX-Boosted': 'true' }), res, views, { things: [1] }, async () => ({
      title: 'Things',
    }));
    expect(res.render).toHaveBeenCalledWith('pages/things', { things: [1], title: 'Things' });
  });

  it('renders only the fragment, without the layout, for an htmx request, and never computes the page-only part', async () => {
    const res = response();
    const pageOnly = jest.fn(async () => ({ title: 'Things' }));
    await renderPageOrFragment(requestWith({ 'HX-Request': 'true' }), res, views, { things: [1] }, pageOnly);
    expect(res.render).toHaveBeenCalledWith('partials/things', { things: [1], layout: false });
    expect(pageOnly).not.toHaveBeenCalled();
  });
});
