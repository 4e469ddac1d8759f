import { ownPath } from './own-path.js';

describe('ownPath', () => {
  it.each(['/', '/rounds/3', '/rounds/3?state=missing&page=2', '/goals/6#criteria', '/%5Cevil.example'])('keeps %s', (path) => {
    expect(ownPath(path)).toBe(path);
  });

  it.each([
    undefined,
    '',
    'rounds',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\\/evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    '/\tevil',
    '/\n/evil.example',
    '/rounds\\..\\x',
  ])('sends %j home', (path) => {
    expect(ownPath(path)).toBe('/');
  });
});
