import { localPath } from '../../src/common/http/safe-redirect';

describe(localPath.name, () => {
  it.each(['/', '/photos/1?x=1#y', '/albums/summer%20trip', '/' + 'a'.repeat(2047)])('accepts %s', (path) => {
    expect(localPath(path)).toBe(path);
  });

  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['an array', ['/photos']],
    ['an empty string', ''],
    ['a relative path', 'photos'],
    ['an absolute URL', 'https://evil.example'],
    ['a protocol-relative URL', '//evil.example'],
    ['a slash and a backslash', '/\\evil.example'],
    ['two backslashes', '\\\\evil'],
    ['a tab between slashes', '/\t/evil'],
    ['a newline', '/photos\n'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a path over 2048 characters', '/' + 'a'.repeat(2048)],
  ])('rejects %s', (_, candidate) => {
    expect(localPath(candidate)).toBeUndefined();
  });

  it.each(['/..//evil.example', '/.//evil.example', '/photos/..//evil.example', '/%2e%2e//evil.example'])(
    'never turns %s into a protocol-relative URL',
    (candidate) => {
      expect(localPath(candidate) ?? '').not.toMatch(/^\/\//);
    },
  );
});
