import { randomBytes, randomUUID } from 'node:crypto';
import { maskSecretTokens, newSecretToken } from '../../src/common/secret-token';

const percentEncoded = (token: string) => [...token].map((c, i) => (i % 3 ? c : `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('');

describe(maskSecretTokens.name, () => {
  it('masks every one of 2000 of the app’s own tokens, wherever the link puts them', () => {
    for (let i = 0; i < 2000; i++) {
      const token = newSecretToken();
      const path = [`/reset-password/${token}`, `/invite/${token}`, `/share/${token}/photo`, `/invite/${token})`][i % 4];
      const masked = maskSecretTokens(path);
      expect(masked).not.toContain(token.slice(0, 20));
      expect(masked).toContain('[redacted]');
    }
  });

  it.each([
    ['a token with a stray character a mail client added', `/reset-password/${newSecretToken()}.`, '/reset-password/[redacted].'],
    ['a percent-encoded token', `/invite/${percentEncoded(newSecretToken())}`, '/invite/[redacted]'],
    ['20 hex characters', `/share/${randomBytes(10).toString('hex')}`, '/share/[redacted]'],
    ['a 64-character hex digest', `/files/${randomBytes(32).toString('hex')}/x`, '/files/[redacted]/x'],
    [
      'a UUID (a photo id is no secret, but a later link might use one as its capability)',
      `/photos/${randomUUID()}/thumbnail`,
      '/photos/[redacted]/thumbnail',
    ],
  ])('masks %s', (_, path, expected) => {
    expect(maskSecretTokens(path)).toBe(expected);
  });

  it.each([
    '/',
    '/forgot-password',
    '/reset-password',
    '/upload-photos',
    '/admin/invitations/:id/revoke',
    '/healthz/ready',
    '/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2',
    '/vendor/bootstrap/js/bootstrap.bundle.min.js',
    '/a-very-long-route-name-made-of-words',
    '/some_words_joined_by_underscores_too',
    '/photos/1234',
  ])('keeps %s as it is', (path) => {
    expect(maskSecretTokens(path)).toBe(path);
  });
});
