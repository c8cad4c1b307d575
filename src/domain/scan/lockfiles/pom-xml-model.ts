/*
 * One POM file as written: its coordinates, parent, properties and dependencies, with the line of each
 * <dependency> (fast-xml-parser records where each element starts). Nothing is interpolated or
 * inherited here; pom-xml.ts builds the effective model from these.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

// fast-xml-parser types its metadata key as the `Symbol` wrapper; it is a plain symbol at run time.
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;
const XML = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, captureMetaData: true });

export interface Coordinates {
  groupId: string;
  artifactId: string;
  version: string;
  type: string;
  classifier: string;
  scope: string;
}

/** A <dependency> as written, with the 1-based line of its start tag. */
export interface Declared extends Coordinates {
  line: number;
}

export interface PomModel {
  groupId: string;
  artifactId: string;
  version: string;
  parent?: { groupId: string; artifactId: string; version: string; relativePath?: string; line: number };
  properties: Map<string, string>;
  /** Of the project and of its profiles active by default. */
  dependencies: Declared[];
  managed: Declared[];
  /** Every <dependency> of the project and of all its profiles: where lines are looked up. */
  declared: Declared[];
}

type XmlNode = { [key: string]: unknown; [key: symbol]: unknown };

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An element's child elements of one name: one is an object, several an array, an empty one "". */
function children(node: unknown, ...path: string[]): XmlNode[] {
  let level: XmlNode[] = isNode(node) ? [node] : [];
  for (const name of path)
    level = level.flatMap((n) => {
      const value = n[name];
      return (Array.isArray(value) ? value : [value]).filter(isNode);
    });
  return level;
}

function textOf(node: XmlNode | undefined, name: string): string {
  const value = node?.[name];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : '';
}

function lineOfIndex(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The POM as written; throws when the text is not well-formed XML with a <project> root. */
export function readPomModel(text: string): PomModel {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`not well-formed XML (line ${valid.err.line}): ${valid.err.msg}`);
  const document: unknown = XML.parse(text);
  const root = isNode(document) ? document['project'] : undefined;
  if (root === undefined) throw new Error('no <project> element');
  const project: XmlNode = isNode(root) ? root : {};
  const lineOf = (node: XmlNode): number => {
    const meta = node[META];
    return isNode(meta) && typeof meta['startIndex'] === 'number' ? lineOfIndex(text, meta['startIndex']) : 0;
  };
  const declared = (node: XmlNode): Declared => ({
    groupId: textOf(node, 'groupId'),
    artifactId: textOf(node, 'artifactId'),
    version: textOf(node, 'version'),
    type: textOf(node, 'type'),
    classifier: textOf(node, 'classifier'),
    scope: textOf(node, 'scope'),
    line: lineOf(node),
  });
  const profiles = children(project, 'profiles', 'profile');
  const active = profiles.filter((p) => textOf(children(p, 'activation')[0], 'activeByDefault') === 'true');
  const properties = new Map<string, string>();
  for (const holder of [project, ...active])
    for (const props of children(holder, 'properties'))
      for (const [name, value] of Object.entries(props))
        if (typeof value === 'string') properties.set(name, value.trim());
  const parent = children(project, 'parent')[0];
  const relativePath = parent?.['relativePath'];
  return {
    groupId: textOf(project, 'groupId'),
    artifactId: textOf(project, 'artifactId'),
    version: textOf(project, 'version'),
    ...(parent && {
      parent: {
        groupId: textOf(parent, 'groupId'),
        artifactId: textOf(parent, 'artifactId'),
        version: textOf(parent, 'version'),
        ...(relativePath !== undefined && { relativePath: textOf(parent, 'relativePath') }),
        line: lineOf(parent),
      },
    }),
    properties,
    dependencies: [project, ...active].flatMap((h) => children(h, 'dependencies', 'dependency')).map(declared),
    managed: [project, ...active]
      .flatMap((h) => children(h, 'dependencyManagement', 'dependencies', 'dependency'))
      .map(declared),
    declared: [project, ...profiles].flatMap((h) => children(h, 'dependencies', 'dependency')).map(declared),
  };
}
