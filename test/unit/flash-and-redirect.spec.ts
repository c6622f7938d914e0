import type { Request, Response } from 'express';
import { flashAndRedirect } from '../../src/common/flash/flash-and-redirect';

describe(flashAndRedirect.name, () => {
  it("queues the message in a logged-in user's session, then answers 303 See Other to the page", () => {
    const req = { session: { passport: { user: 'u1' }, flash: [{ type: 'info', message: 'Earlier.' }] } } as unknown as Request;
    const res = { redirect: jest.fn() } as unknown as Response & { redirect: jest.Mock };
    flashAndRedirect(req, res, 'success', 'Saved.', '/account');
    expect(req.session.flash).toEqual([
      { type: 'info', message: 'Earlier.' },
      { type: 'success', message: 'Saved.' },
    ]);
    expect(res.redirect).toHaveBeenCalledWith(303, '/account');
  });
});
