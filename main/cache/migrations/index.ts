import { m001Meta } from './001-meta';

/**
 * Numbered migrations, applied in order, each once, inside a transaction. Never edit a
 * migration that has shipped: add the next number. Reserved numbers: 002 pki (CRL cache),
 * 003 record cache, 004 audit, 005 outbox.
 */
export interface Migration {
  id: number;
  name: string;
  up: string;
}

export const MIGRATIONS: readonly Migration[] = [m001Meta];
