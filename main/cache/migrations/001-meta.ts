import type { Migration } from './index';

export const m001Meta: Migration = {
  id: 1,
  name: 'meta',
  up: `
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;
  `,
};
