/**
 * `mfawatch config schema`: a JSON Schema of the config file, generated from the same zod schemas
 * that validate it (zod's own `z.toJSONSchema`), for editors: a config with
 * `"$schema": "./mfawatch.schema.json"` gets completion and checking of every key. The package
 * ships it as mfawatch.schema.json (a test keeps that file equal to this output).
 *
 * It describes what may be written (zod's input side: durations as strings, secrets as strings).
 * Checks that JSON Schema cannot state (cron syntax, time zones, references between sections,
 * `${VAR}` resolution) stay with `mfawatch config check`.
 */
import { z } from 'zod';
import { MONITORS } from '../../monitors/index.js';
import { NOTIFIERS } from '../../notifiers/index.js';
import { RESPONDERS } from '../../responders/index.js';
import { rootSchema } from './schema.js';

type JsonSchema = Record<string, unknown>;

/** The JSON Schema dialect written. */
const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** A note for people reading the file: accepted on the root and on every module entry. */
const COMMENT: JsonSchema = {
  description: 'A note for people reading the file; ignored by mfawatch.',
  anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
};

function toJson(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** One module's entry: its own schema, plus `$comment`. */
function entrySchema(type: string, schema: z.ZodType): JsonSchema {
  const json = toJson(schema);
  const properties = (json.properties ?? {}) as JsonSchema;
  return { title: type, ...json, properties: { ...properties, $comment: COMMENT } };
}

function moduleList(what: string, registry: ReadonlyMap<string, { configSchema: z.ZodType }>): JsonSchema {
  return {
    type: 'array',
    description: `${what}; each entry's "type" picks its keys (one of: ${[...registry.keys()].join(', ')})`,
    items: { oneOf: [...registry].map(([type, module]) => entrySchema(type, module.configSchema)) },
  };
}

/** The JSON Schema of the whole config file. */
export function configJsonSchema(): JsonSchema {
  const root = toJson(rootSchema);
  const properties = (root.properties ?? {}) as JsonSchema;
  return {
    $schema: DIALECT,
    $id: 'mfawatch.schema.json',
    title: 'mfawatch config',
    description: 'The mfawatch config file (mfawatch.json). Any string may hold ${ENV_NAME}, replaced from the environment. Check it with `mfawatch config check`.',
    ...root,
    properties: {
      ...properties,
      $comment: COMMENT,
      monitors: { ...moduleList('What to watch', MONITORS), minItems: 1 },
      notifiers: moduleList('Where alerts go', NOTIFIERS),
      responders: moduleList('Where sessions are killed', RESPONDERS),
    },
  };
}

/** The schema as the package ships it (mfawatch.schema.json): indented, with a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
