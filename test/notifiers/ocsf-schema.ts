/**
 * A validator of OCSF events against the published OCSF 1.3.0 schema files vendored in
 * test/data/ocsf-1.3.0 (from github.com/ocsf/ocsf-schema, tag v1.3.0 release commit c8bde8c4):
 * the class resolved through `extends` and `$include`, every required attribute present, no
 * attribute the class does not define, enum values from the class or the dictionary, value types
 * from the dictionary, and objects checked the same way (required attributes, `at_least_one` and
 * `just_one` constraints). Profile attributes are left out: mfawatch declares no profile.
 */
import { readFileSync } from 'node:fs';

interface AttributeDef {
  requirement?: string;
  enum?: Record<string, unknown> | undefined;
  type?: string;
  is_array?: boolean;
}
interface SchemaFile {
  name: string;
  uid?: number;
  extends?: string | undefined;
  category?: string;
  constraints?: { at_least_one?: string[]; just_one?: string[] } | undefined;
  attributes: Record<string, AttributeDef | string[]>;
}

const ROOT = new URL('../data/ocsf-1.3.0/', import.meta.url);
const read = (path: string) => JSON.parse(readFileSync(new URL(path, ROOT), 'utf8')) as SchemaFile;
const dictionary = read('dictionary.json') as unknown as { attributes: Record<string, AttributeDef>; types: { attributes: Record<string, unknown> } };

/** The schema's version file says which version these files are. */
export const VENDORED_VERSION = (JSON.parse(readFileSync(new URL('version.json', ROOT), 'utf8')) as { version: string }).version;

/** Attributes of a class or object file with its `$include`s (profiles left out) and its parents. */
function resolve(file: SchemaFile, lookup: (name: string) => SchemaFile | undefined): { attributes: Record<string, AttributeDef>; constraints: SchemaFile['constraints'] } {
  const parent = file.extends ? lookup(file.extends) : undefined;
  const inherited = parent ? resolve(parent, lookup) : { attributes: {}, constraints: undefined };
  const own: Record<string, AttributeDef> = {};
  for (const [k, v] of Object.entries(file.attributes)) {
    if (k === '$include') {
      for (const inc of v as string[]) {
        if (inc.startsWith('profiles/')) continue;
        Object.assign(own, resolve(read(inc), () => undefined).attributes);
      }
      continue;
    }
    own[k] = v as AttributeDef;
  }
  const attributes: Record<string, AttributeDef> = { ...inherited.attributes };
  // A class's enum extends its parent's (0 Unknown and 99 Other stay valid).
  for (const [k, v] of Object.entries(own)) attributes[k] = { ...attributes[k], ...v, ...(attributes[k]?.enum && v.enum ? { enum: { ...attributes[k]?.enum, ...v.enum } } : {}) };
  return { attributes, constraints: file.constraints ?? inherited.constraints };
}

const CLASS_FILES: Record<string, string> = { base_event: 'events/base_event.json', iam: 'events/iam/iam.json', account_change: 'events/iam/account_change.json', authentication: 'events/iam/authentication.json' };
const classLookup = (name: string) => (CLASS_FILES[name] ? read(CLASS_FILES[name]) : undefined);
const objectLookup = (name: string): SchemaFile | undefined => {
  try {
    return read(`objects/${name}.json`);
  } catch {
    return undefined;
  }
};

function typeProblems(value: unknown, type: string, path: string): string[] {
  switch (type) {
    case 'integer_t':
    case 'long_t':
    case 'timestamp_t':
    case 'port_t':
      return Number.isInteger(value) ? [] : [`${path}: ${type} expected, got ${JSON.stringify(value)}`];
    case 'float_t':
      return typeof value === 'number' ? [] : [`${path}: ${type} expected`];
    case 'boolean_t':
      return typeof value === 'boolean' ? [] : [`${path}: ${type} expected`];
    case 'json_t':
      return [];
    default:
      return typeof value === 'string' ? [] : [`${path}: ${type} (a string) expected, got ${JSON.stringify(value)}`];
  }
}

function valueProblems(value: unknown, def: AttributeDef, name: string, path: string, item = false): string[] {
  const dict = dictionary.attributes[name] ?? {};
  const type = dict.type ?? 'object';
  if (dict.is_array && !item) {
    if (!Array.isArray(value)) return [`${path}: an array expected`];
    return value.flatMap((v, i) => valueProblems(v, def, name, `${path}[${i}]`, true));
  }
  const enumeration = def.enum ?? dict.enum;
  if (enumeration && !(String(value) in enumeration)) return [`${path}: ${JSON.stringify(value)} is not one of ${Object.keys(enumeration).join(', ')}`];
  if (type.endsWith('_t')) return typeProblems(value, type, path);
  const objectFile = objectLookup(type);
  if (!objectFile) return [`${path}: unknown object type ${type}`];
  if (type === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value) ? [] : [`${path}: an object expected`];
  return objectProblems(value, objectFile, path);
}

function objectProblems(value: unknown, file: SchemaFile, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: an object expected`];
  const { attributes, constraints } = resolve(file, (n) => objectLookup(n));
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const [k, def] of Object.entries(attributes)) if (def.requirement === 'required' && !(k in v)) problems.push(`${path}.${k}: required`);
  for (const [k, item] of Object.entries(v)) {
    const def = attributes[k];
    if (!def) problems.push(`${path}.${k}: not an attribute of ${file.name}`);
    else problems.push(...valueProblems(item, def, k, `${path}.${k}`));
  }
  if (constraints?.at_least_one && !constraints.at_least_one.some((k) => k in v)) problems.push(`${path}: needs at least one of ${constraints.at_least_one.join(', ')}`);
  if (constraints?.just_one && constraints.just_one.filter((k) => k in v).length !== 1) problems.push(`${path}: needs exactly one of ${constraints.just_one.join(', ')}`);
  return problems;
}

/** Every way `event` breaks OCSF 1.3.0 for the class its `class_uid` names; [] when valid. */
export function ocsfProblems(event: Record<string, unknown>): string[] {
  const byUid: Record<number, string> = { 3001: 'account_change', 3002: 'authentication' };
  const name = byUid[Number(event.class_uid)];
  if (!name) return [`class_uid ${String(event.class_uid)} is not a class this validator has`];
  const file = read(CLASS_FILES[name] as string);
  const categories = read('categories.json') as unknown as { attributes: Record<string, { uid: number }> };
  const iam = resolve(file, classLookup);
  // The schema compiler fills these enums per class (includes/classification.json lists only 0);
  // their values are checked against the category and class below instead.
  for (const k of ['category_uid', 'class_uid']) if (iam.attributes[k]) iam.attributes[k] = { ...iam.attributes[k], enum: undefined };
  const problems = objectProblems(event, { ...file, attributes: iam.attributes, extends: undefined, constraints: undefined }, name);
  const categoryUid = categories.attributes.iam?.uid ?? -1;
  if (event.category_uid !== categoryUid) problems.push(`category_uid must be ${categoryUid}`);
  if (event.class_uid !== categoryUid * 1000 + (file.uid ?? -1)) problems.push(`class_uid must be ${categoryUid * 1000 + (file.uid ?? -1)}`);
  if (event.type_uid !== Number(event.class_uid) * 100 + Number(event.activity_id)) problems.push('type_uid must be class_uid * 100 + activity_id');
  return problems;
}
