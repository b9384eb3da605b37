import type { z } from 'zod';
import { appChannels } from './channels/app';
import { sessionChannels } from './channels/session';
import { sessionAuthChannels } from './channels/session-auth';
import { emergencyChannels } from './channels/emergency';
import { shlChannels } from './channels/shl';
import { additionsChannels } from './channels/additions';
import { settingsChannels } from './channels/settings';
import { diagnosticsChannels } from './channels/diagnostics';
import { auditChannels } from './channels/audit';

/**
 * The whole IPC surface, one record per domain (common/ipc/channels/*.ts). Main validates every
 * request against `request`; the renderer's types come from the same schemas.
 */
export const contract = {
  ...appChannels,
  ...sessionChannels,
  ...sessionAuthChannels,
  ...emergencyChannels,
  ...shlChannels,
  ...additionsChannels,
  ...settingsChannels,
  ...diagnosticsChannels,
  ...auditChannels,
} as const;

export type Contract = typeof contract;
export type Channel = keyof Contract;
/** What the renderer sends (schema input). */
export type RequestOf<C extends Channel> = z.input<Contract[C]['request']>;
/** What a handler receives after validation (schema output). */
export type ParsedRequestOf<C extends Channel> = z.output<Contract[C]['request']>;
export type ResponseOf<C extends Channel> = z.output<Contract[C]['response']>;

export const CHANNELS = Object.keys(contract) as Channel[];

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name);
}

/** The Electron IPC channel name of a contract channel. */
export const ipcName = (c: Channel): string => `hcp:${c}`;
