/*
 * How CSAF documents are found (CSAF 2.0 section 7): the file names of section 5.1, the
 * `provider-metadata.json` of requirement 7 (provider_json_schema.json) and the ROLIE feed of
 * requirement 15 (RFC 8322 in JSON, as the TC's example feed spells it).
 */

import type { AdvisoryRecord } from '../domain/advisories/advisory-record.js';
import { csafVexTrackingId } from './csaf-vex.js';

/** The CSAF file name of a tracking id (section 5.1): lowercase, each run of other characters than `+-a-z0-9` as one `_`. */
export function csafFilename(trackingId: string): string {
  return `${trackingId.toLowerCase().replace(/[^+\-a-z0-9]+/g, '_')}.json`;
}

/** A document's path below the distribution directory: one folder per year of its initial release (requirement 11). */
export function csafPath(trackingId: string, initialReleaseDate: string): string {
  return `${initialReleaseDate.slice(0, 4)}/${csafFilename(trackingId)}`;
}

export type TlpLabel = 'UNLABELED' | 'WHITE' | 'GREEN' | 'AMBER' | 'RED';

export interface ProviderMetadataInput {
  publisher: {
    category?: 'coordinator' | 'discoverer' | 'other' | 'translator' | 'user' | 'vendor';
    name: string;
    namespace: string;
    contactDetails?: string;
    issuingAuthority?: string;
  };
  /** Where this file is served; must end in `/provider-metadata.json`. */
  canonicalUrl: string;
  /** The base URL of the directory-based distribution (requirements 11 to 14), if there is one. */
  directoryUrl?: string;
  /** The ROLIE feeds (requirements 15 to 17), one per TLP label. */
  rolieFeeds?: { url: string; tlpLabel?: TlpLabel; summary?: string }[];
  lastUpdated: string;
  /** The OpenPGP keys the documents are signed with (requirement 20). */
  publicKeys?: { fingerprint?: string; url: string }[];
  /** Default `csaf_provider`; `csaf_trusted_provider` also promises hashes and signatures (requirements 18 to 20). */
  role?: 'csaf_publisher' | 'csaf_provider' | 'csaf_trusted_provider';
  listOnAggregators?: boolean;
  mirrorOnAggregators?: boolean;
}

export interface ProviderMetadata {
  canonical_url: string;
  distributions?: (
    { directory_url: string } | { rolie: { feeds: { summary?: string; tlp_label: TlpLabel; url: string }[] } }
  )[];
  last_updated: string;
  list_on_CSAF_aggregators: boolean;
  metadata_version: '2.0';
  mirror_on_CSAF_aggregators: boolean;
  public_openpgp_keys?: { fingerprint?: string; url: string }[];
  publisher: {
    category: string;
    contact_details?: string;
    issuing_authority?: string;
    name: string;
    namespace: string;
  };
  role: 'csaf_publisher' | 'csaf_provider' | 'csaf_trusted_provider';
}

export function toProviderMetadata(input: ProviderMetadataInput): ProviderMetadata {
  if (!input.canonicalUrl.endsWith('/provider-metadata.json')) {
    throw new RangeError(`A provider-metadata.json is served as .../provider-metadata.json, not ${input.canonicalUrl}`);
  }
  const distributions: NonNullable<ProviderMetadata['distributions']> = [];
  if (input.directoryUrl) distributions.push({ directory_url: input.directoryUrl });
  if (input.rolieFeeds?.length) {
    const feeds = input.rolieFeeds.map((f) => ({
      ...(f.summary ? { summary: f.summary } : {}),
      tlp_label: f.tlpLabel ?? 'WHITE',
      url: f.url,
    }));
    distributions.push({ rolie: { feeds } });
  }
  const { publisher } = input;
  return {
    canonical_url: input.canonicalUrl,
    ...(distributions.length ? { distributions } : {}),
    last_updated: input.lastUpdated,
    list_on_CSAF_aggregators: input.listOnAggregators ?? true,
    metadata_version: '2.0',
    mirror_on_CSAF_aggregators: input.mirrorOnAggregators ?? true,
    ...(input.publicKeys?.length
      ? {
          public_openpgp_keys: input.publicKeys.map((k) => ({
            // The schema wants 40 or more hex digits; a fingerprint is often shown in groups of four.
            ...(k.fingerprint ? { fingerprint: k.fingerprint.replace(/\s+/g, '').toUpperCase() } : {}),
            url: k.url,
          })),
        }
      : {}),
    publisher: {
      category: publisher.category ?? 'vendor',
      ...(publisher.contactDetails ? { contact_details: publisher.contactDetails } : {}),
      ...(publisher.issuingAuthority ? { issuing_authority: publisher.issuingAuthority } : {}),
      name: publisher.name,
      namespace: publisher.namespace,
    },
    role: input.role ?? 'csaf_provider',
  };
}

export interface RolieFeedEntryInput {
  record: AdvisoryRecord;
  /** Where the CSAF document is served. */
  url: string;
  /** Its hash file (requirement 18) and OpenPGP signature (requirement 19), when served. */
  hashUrl?: string;
  signatureUrl?: string;
  /** Which of the record's documents `url` serves; default the security advisory. */
  profile?: 'csaf_security_advisory' | 'csaf_vex';
}

export interface RolieFeedInput {
  /** The feed's Atom id; default its URL. */
  id?: string;
  feedUrl: string;
  title: string;
  updated: string;
  entries: RolieFeedEntryInput[];
}

export interface RolieLink {
  rel: 'self' | 'hash' | 'signature';
  href: string;
}

export interface RolieEntry {
  id: string;
  title: string;
  link: RolieLink[];
  published: string;
  updated: string;
  summary: { content: string };
  content: { type: 'application/json'; src: string };
  format: { schema: string; version: '2.0' };
}

export interface RolieFeed {
  feed: {
    id: string;
    title: string;
    link: RolieLink[];
    category: { scheme: string; term: string }[];
    updated: string;
    entry: RolieEntry[];
  };
}

/** A ROLIE feed of CSAF documents, keys in the order of the TC's example (RFC 8322 gives none). */
export function toRolieFeed(input: RolieFeedInput): RolieFeed {
  return {
    feed: {
      id: input.id ?? input.feedUrl,
      title: input.title,
      link: [{ rel: 'self', href: input.feedUrl }],
      category: [{ scheme: 'urn:ietf:params:rolie:category:information-type', term: 'csaf' }],
      updated: input.updated,
      entry: input.entries.map(rolieEntry),
    },
  };
}

function rolieEntry({ record, url, hashUrl, signatureUrl, profile }: RolieFeedEntryInput): RolieEntry {
  const link: RolieLink[] = [{ rel: 'self', href: url }];
  if (hashUrl) link.push({ rel: 'hash', href: hashUrl });
  if (signatureUrl) link.push({ rel: 'signature', href: signatureUrl });
  return {
    // The entry's id, title and dates are those of the document it points to.
    id: profile === 'csaf_vex' ? csafVexTrackingId(record) : record.id,
    title: record.summary,
    link,
    published: record.published,
    updated: record.modified,
    summary: { content: record.withdrawn ? `Withdrawn: ${record.withdrawnReason ?? record.summary}` : record.summary },
    content: { type: 'application/json', src: url },
    format: { schema: 'https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json', version: '2.0' },
  };
}
