/*
 * Dependents: whoever wants to hear when something they depend on gets an advisory. Either an
 * outside subscriber (a name and an email address, double opt-in: pending until the address follows
 * its confirmation link, then active until it unsubscribes) or a project of this instance (its
 * admins register in its name; active at once, its members are told). Each registers inventories:
 * a lockfile or SBOM, or a list of package URLs, whose packages are the reverse index from package
 * to dependents. A package URL without a version stands for every version of the package.
 */

export const DEPENDENT_STATUSES = ['pending', 'active', 'unsubscribed'] as const;
export type DependentStatus = (typeof DEPENDENT_STATUSES)[number];

export interface Dependent {
  id: string;
  /** The project of this instance that registered, or null for an outside subscriber. */
  projectId: string | null;
  name: string;
  /** The outside subscriber's address; null for a project (its members are told). */
  email: string | null;
  status: DependentStatus;
  createdAt: string;
  confirmedAt: string | null;
  unsubscribedAt: string | null;
}

/** One registered inventory of a dependent (a file's packages, or its package URLs). */
export interface Registration {
  id: string;
  dependentId: string;
  /** The file's name, or "package URLs"; a new upload of the same name replaces it. */
  name: string;
  /** The parser's format ("package-lock.json", "cyclonedx-json"...), or "purls". */
  format: string;
  sha256: string;
  packageCount: number;
  uploadedAt: string;
}

/** What a dependent gives: a lockfile or SBOM with its file name, or package URLs one per line. */
export type InventoryInput = { kind: 'file'; fileName: string; text: string } | { kind: 'purls'; text: string };

/** One entry of the reverse index: an active dependent's inventory holds this version of the package. */
export interface DependentOfPackage {
  dependentId: string;
  inventoryId: string;
  /** "" when the dependent named the package without a version (every version). */
  version: string;
}

/** A registered package version that a vulnerability affects. */
export interface AffectedDependent {
  dependentId: string;
  inventoryId: string;
  vulnId: string;
  /** The case whose published advisory the vulnerability is, when it is one of this instance's. */
  caseId: string | null;
  packageKey: string;
  ecosystem: string;
  name: string;
  /** "" for "some version": the dependent named the package without one. */
  version: string;
  /** The lowest fixed version above the registered one; null when none is known (or no version was given). */
  fixedVersion: string | null;
  /** Every fixed version the advisory names for the package, for "some version" registrations. */
  knownFixes: string[];
}

/** What currently matches a dependent's registrations (shown at registration and on the manage page). */
export interface CurrentMatch {
  vulnId: string;
  summary: string;
  ecosystem: string;
  name: string;
  version: string;
  fixedVersion: string | null;
  knownFixes: string[];
}

/** One alert of a case, as its release page lists it. */
export interface CaseDependentAlert {
  /** The dependent's name; for an outside subscriber with the address masked ("Acme (a***@example.org)"). */
  dependent: string;
  kind: 'subscriber' | 'project';
  vulnId: string;
  ecosystem: string;
  packageName: string;
  version: string;
  fixedVersion: string | null;
  toldAt: string;
}
