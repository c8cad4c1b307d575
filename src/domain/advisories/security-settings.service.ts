import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { findSecuritySettingsRow, saveSecuritySettingsRow } from './security-settings.repository.js';

// What a project's public security pages say beyond its other settings: who publishes its
// advisories, where its CVE ids come from, its bounty, and how long a security.txt stays valid.
// Callers check 'project.security-settings.manage' for changes; reads are public.

export const CVE_SOURCES = ['cna', 'request'] as const;
export type CveSource = (typeof CVE_SOURCES)[number];

export interface SecuritySettings {
  /** The publisher named in CSAF and CVE records; null: the project's name. */
  publisherName: string | null;
  /** 'cna': the project assigns ids from its pool; 'request': it asks someone (cveRequestFrom) and types the id in. */
  cveSource: CveSource;
  cveRequestFrom: string | null;
  bountyText: string | null;
  bountyUrl: string | null;
  /** security.txt's Expires is this many days after the day it is served (RFC 9116 2.5.5: under a year). */
  securityTxtDays: number;
  updatedAt: string | null;
}

export const DEFAULT_SECURITY_SETTINGS: SecuritySettings = {
  publisherName: null,
  cveSource: 'request',
  cveRequestFrom: null,
  bountyText: null,
  bountyUrl: null,
  securityTxtDays: 180,
  updatedAt: null,
};

export async function getSecuritySettings(db: DbOrTrx, projectId: string): Promise<SecuritySettings> {
  const row = await findSecuritySettingsRow(db, projectId);
  if (!row) return DEFAULT_SECURITY_SETTINGS;
  return {
    publisherName: row.publisher_name,
    cveSource: (CVE_SOURCES as readonly string[]).includes(row.cve_source) ? (row.cve_source as CveSource) : 'request',
    cveRequestFrom: row.cve_request_from,
    bountyText: row.bounty_text,
    bountyUrl: row.bounty_url,
    securityTxtDays: row.security_txt_days,
    updatedAt: row.updated_at,
  };
}

const invalid = (field: string, message: string) => new DomainError('VALIDATION_FAILED', message, { field });

function line(raw: unknown, field: string, max: number): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string') throw invalid(field, `${field} must be text.`);
  const clean = raw.replace(/\s+/g, ' ').trim();
  if (clean.length > max) throw invalid(field, `${field} is longer than ${max} characters.`);
  return clean || null;
}

function httpsUrl(raw: unknown, field: string): string | null {
  const text = line(raw, field, 2000);
  if (text === null) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(field, 'Give a full https:// address.');
  }
  if (url.protocol !== 'https:') throw invalid(field, 'Give a full https:// address.');
  return url.toString();
}

/** Checks settings as submitted (a form or JSON body): VALIDATION_FAILED names the field. */
export function parseSecuritySettings(raw: unknown): Omit<SecuritySettings, 'updatedAt'> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('settings', 'Send an object.');
  const o = raw as Record<string, unknown>;
  const source = o.cveSource ?? 'request';
  if (typeof source !== 'string' || !(CVE_SOURCES as readonly string[]).includes(source)) {
    throw invalid('cveSource', `cveSource is one of ${CVE_SOURCES.join(', ')}.`);
  }
  const days = typeof o.securityTxtDays === 'string' ? Number(o.securityTxtDays) : (o.securityTxtDays ?? 180);
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 364) {
    throw invalid('securityTxtDays', 'security.txt must expire between 1 and 364 days after it is served.');
  }
  const bountyText = typeof o.bountyText === 'string' ? o.bountyText.replace(/\r\n?/g, '\n').trim() : null;
  if (bountyText !== null && bountyText.length > 5000) throw invalid('bountyText', 'At most 5000 characters.');
  return {
    publisherName: line(o.publisherName, 'publisherName', 200),
    cveSource: source as CveSource,
    cveRequestFrom: line(o.cveRequestFrom, 'cveRequestFrom', 200),
    bountyText: bountyText || null,
    bountyUrl: httpsUrl(o.bountyUrl, 'bountyUrl'),
    securityTxtDays: days,
  };
}

export async function updateSecuritySettings(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { actor: Actor; origin: RequestOrigin; projectId: string; settings: Omit<SecuritySettings, 'updatedAt'> },
): Promise<SecuritySettings> {
  const at = iso(deps.clock.now());
  const s = input.settings;
  await saveSecuritySettingsRow(trx, {
    project_id: input.projectId,
    publisher_name: s.publisherName,
    cve_source: s.cveSource,
    cve_request_from: s.cveRequestFrom,
    bounty_text: s.bountyText,
    bounty_url: s.bountyUrl,
    security_txt_days: s.securityTxtDays,
    updated_at: at,
    updated_by: input.actor.kind === 'user' ? input.actor.userId : null,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.projectId,
    action: 'project.security_settings_changed',
    subjectType: 'project',
    subjectId: input.projectId,
    detail: { by: actorLabel(input.actor), cveSource: s.cveSource },
  });
  return getSecuritySettings(trx, input.projectId);
}
