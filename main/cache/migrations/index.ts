import { m001Meta } from './001-meta';
import { m002PkiCrlCache } from './002-pki-crl-cache';
import { m003RecordCache } from './003-record-cache';
import { m004Audit } from './004-audit';
import { m005Outbox } from './005-outbox';
import { m006RecordFreshness } from './006-record-freshness';
import { m010AuditAnchor } from './010-audit-anchor';
import { m060OutboxAttachments } from './060-outbox-attachments';
import { m070AuditClinicianIndex } from './070-audit-clinician-index';

/**
 * Numbered migrations, applied in order, each once, inside a transaction. Never edit a
 * migration that has shipped: add the next number. Reserved numbers: 002 pki (CRL cache),
 * 003 record cache, 004 audit, 005 outbox, 006 record freshness.
 */
export interface Migration {
  id: number;
  name: string;
  up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  m001Meta,
  m002PkiCrlCache,
  m003RecordCache,
  m004Audit,
  m005Outbox,
  m006RecordFreshness,
  m010AuditAnchor,
  m060OutboxAttachments,
  m070AuditClinicianIndex,
];
