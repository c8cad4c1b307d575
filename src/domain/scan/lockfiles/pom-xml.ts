/*
 * pom.xml: the dependencies a Maven project declares, with the versions it states. A POM is not a
 * lockfile, so this is the effective model as far as local files tell it, as osv-scalibr's
 * java/pomxml extractor builds it without network: properties interpolated (`${x}`, `${project.version}`,
 * `${project.parent.version}`), profiles active by default merged, missing versions and scopes taken
 * from <dependencyManagement>, and, when a reader of neighbouring files is given, parents found by
 * <relativePath> inherited. Managed-only entries are not packages the project ships, and BOM imports
 * (scope "import") and parents outside the tree would need a repository, so none of them is read.
 */
import { posix } from 'node:path';
import { LockfileError, type LockfileParser, type ScannedPackage } from '../inventory.js';
import { type Coordinates, type Declared, type PomModel, readPomModel } from './pom-xml-model.js';

const FORMAT = 'pom.xml';

// Parents are rarely more than three or four deep; the bound stops a cycle of relativePaths.
const MAX_PARENTS = 16;

/** Reads a file by its path relative to the directory of the POM given to parsePom; undefined if absent. */
export type ReadRelative = (relativePath: string) => string | undefined;

/** The local parents of `root`, nearest first, as far as they are found and are the ones declared. */
function localParents(root: PomModel, readRelative: ReadRelative | undefined): PomModel[] {
  const parents: PomModel[] = [];
  const seen = new Set<string>();
  let child = root;
  let dir = '.';
  while (readRelative !== undefined && child.parent !== undefined && parents.length < MAX_PARENTS) {
    const declared = child.parent;
    // An empty <relativePath/> says "look only in repositories"; its default is the directory above.
    if (declared.relativePath === '') break;
    let target = posix.normalize(posix.join(dir, declared.relativePath ?? '..'));
    if (!/\.(xml|pom)$/.test(target)) target = posix.join(target, 'pom.xml');
    if (seen.has(target)) break;
    seen.add(target);
    const text = readRelative(target);
    if (text === undefined) break;
    let parent: PomModel;
    try {
      parent = readPomModel(text);
    } catch {
      // An unreadable parent leaves the child as it would be without one, not unreadable itself.
      break;
    }
    const groupId = parent.groupId || (parent.parent?.groupId ?? '');
    const version = parent.version || (parent.parent?.version ?? '');
    // Maven takes the file at relativePath only if it is the parent declared; otherwise it goes to a repository.
    if (groupId !== declared.groupId || parent.artifactId !== declared.artifactId || version !== declared.version)
      break;
    parents.push(parent);
    child = parent;
    dir = posix.dirname(target);
  }
  return parents;
}

function interpolate(value: string, properties: ReadonlyMap<string, string>): string {
  let result = value;
  // Properties may refer to properties; a few rounds settle real POMs and stop self-reference.
  for (let round = 0; round < 8 && result.includes('${'); round++) {
    const next = result.replace(/\$\{([^}]+)\}/g, (whole, name: string) => properties.get(name) ?? whole);
    if (next === result) break;
    result = next;
  }
  return result;
}

function effectiveProperties(root: PomModel, parents: readonly PomModel[]): Map<string, string> {
  const properties = new Map<string, string>();
  for (const model of [...parents].reverse()) for (const [k, v] of model.properties) properties.set(k, v);
  for (const [k, v] of root.properties) properties.set(k, v);
  const project = {
    groupId: root.groupId || (root.parent?.groupId ?? ''),
    artifactId: root.artifactId,
    version: root.version || (root.parent?.version ?? ''),
  };
  for (const [key, value] of Object.entries(project)) {
    properties.set(`project.${key}`, value);
    properties.set(`pom.${key}`, value);
  }
  if (root.parent !== undefined) {
    properties.set('project.parent.groupId', root.parent.groupId);
    properties.set('project.parent.artifactId', root.parent.artifactId);
    properties.set('project.parent.version', root.parent.version);
  }
  return properties;
}

function key(d: Coordinates): string {
  return `${d.groupId}:${d.artifactId}:${d.type || 'jar'}:${d.classifier}`;
}

/** The lower bound of a range ("[1.2,2.0)" -> "1.2"), as osv-scalibr reports a ranged version. */
function statedVersion(version: string): string {
  const body = /^[[(]/.test(version) ? version.slice(1) : version;
  const end = body.search(/[,)\]]/);
  return (end === -1 ? body : body.slice(0, end)).trim();
}

/** A value with one `${...}` could stand for `resolved` when the text around the placeholder agrees. */
function couldBe(raw: string, resolved: string): boolean {
  if (raw === resolved) return true;
  const start = raw.indexOf('${');
  const end = raw.indexOf('}', start);
  if (start === -1 || end === -1) return false;
  const [prefix, suffix] = [raw.slice(0, start), raw.slice(end + 1)];
  return resolved.length >= prefix.length + suffix.length && resolved.startsWith(prefix) && resolved.endsWith(suffix);
}

function writtenAs(d: Declared, dep: Coordinates): boolean {
  const version = d.version === '' || (!d.version.includes('${') && d.version === dep.version);
  return (
    version &&
    d.groupId === dep.groupId &&
    d.artifactId === dep.artifactId &&
    (d.type || 'jar') === (dep.type || 'jar') &&
    d.classifier === dep.classifier
  );
}

/**
 * Where a resolved dependency is written, as osv-scalibr finds it: the first unclaimed declaration
 * with the same literal coordinates, else the only one whose placeholders could give them, else the
 * <parent> element (an inherited dependency, or an ambiguous one), else none (0).
 */
function lineFinder(declared: readonly Declared[], parentLine: number): (dep: Coordinates) => number {
  const claimed = new Set<number>();
  const free = (i: number): boolean => !claimed.has(i);
  return (dep) => {
    let index = declared.findIndex((d, i) => free(i) && writtenAs(d, dep));
    if (index === -1) {
      const candidates = declared.flatMap((d, i) =>
        free(i) &&
        couldBe(d.groupId, dep.groupId) &&
        couldBe(d.artifactId, dep.artifactId) &&
        (d.version === '' || couldBe(d.version, dep.version))
          ? [i]
          : [],
      );
      if (candidates.length === 1) index = candidates[0] ?? -1;
    }
    if (index === -1) return parentLine;
    claimed.add(index);
    return declared[index]?.line ?? 0;
  };
}

/** The packages `text` declares; `readRelative`, when given, lets local parent POMs be inherited. */
export function parsePom(text: string, path: string, readRelative?: ReadRelative): ScannedPackage[] {
  let root: PomModel;
  try {
    root = readPomModel(text);
  } catch (error) {
    throw new LockfileError(FORMAT, `${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parents = localParents(root, readRelative);
  const properties = effectiveProperties(root, parents);
  const resolve = (d: Coordinates): Coordinates => ({
    groupId: interpolate(d.groupId, properties),
    artifactId: interpolate(d.artifactId, properties),
    version: interpolate(d.version, properties),
    type: interpolate(d.type, properties),
    classifier: interpolate(d.classifier, properties),
    scope: interpolate(d.scope, properties),
  });

  const managed = new Map<string, Coordinates>();
  for (const model of [root, ...parents])
    for (const m of model.managed) {
      const dep = resolve(m);
      // An import brings another POM's management, which only a repository can provide.
      if (dep.scope !== 'import' && !managed.has(key(dep))) managed.set(key(dep), dep);
    }

  // Maven keeps the first of two declarations of one dependency; the child's come before its parents'.
  const dependencies = new Map<string, Coordinates>();
  for (const model of [root, ...parents])
    for (const d of model.dependencies) {
      const dep = resolve(d);
      if (!dependencies.has(key(dep))) dependencies.set(key(dep), dep);
    }

  const findLine = lineFinder(root.declared, root.parent?.line ?? 0);
  const packages = new Map<string, ScannedPackage>();
  for (const dep of dependencies.values()) {
    const management = managed.get(key(dep));
    const version = dep.version || (management?.version ?? '');
    const scope = (dep.scope || (management?.scope ?? '')).trim();
    if (dep.groupId === '' || dep.artifactId === '') continue;
    const name = `${dep.groupId}:${dep.artifactId}`;
    const line = findLine({ ...dep, version });
    const pkg: ScannedPackage = {
      ecosystem: 'Maven',
      name,
      version: statedVersion(version),
      depGroups: scope === '' || scope === 'compile' ? [] : [scope],
    };
    if (line > 0) pkg.line = line;
    // One package per group and artifact, as osv-scalibr reports them: the last classifier or type wins.
    packages.set(name, pkg);
  }
  return [...packages.values()];
}

export const pomXmlParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => {
    const base = path.split(/[\\/]/).pop() ?? '';
    return base === 'pom.xml' || base.endsWith('.pom');
  },
  parse: (text, path) => parsePom(text, path),
};
