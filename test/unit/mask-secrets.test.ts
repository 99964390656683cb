import { maskSecrets } from '../../activities/commands';

test('values of credential-like variables are masked in command output; other values are left alone', () => {
  const env = {
    PROD_DATABASE_URL: 'postgres://ferry:hunter2hunter2@db.internal/shop',
    NPM_TOKEN: 'npm_abcdef123456',
    SHORT_KEY: 'abc',
    HOME: '/home/ferry-builder',
  };
  const output = `+ psql postgres://ferry:hunter2hunter2@db.internal/shop\ntoken=npm_abcdef123456 key=abc home=/home/ferry-builder`;
  expect(maskSecrets(output, env)).toBe(
    '+ psql ***PROD_DATABASE_URL***\ntoken=***NPM_TOKEN*** key=abc home=/home/ferry-builder',
  );
});
