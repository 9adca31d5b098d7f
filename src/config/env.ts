/**
 * `${ENV_NAME}` substitution over the raw JSON of the config file, done once before validation.
 * Modules never read the environment themselves (STYLE.md rule 3).
 */

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface EnvSubstitution {
  value: unknown;
  /** Problems, each with its JSON path: an unset variable. */
  issues: string[];
  /** JSON paths that referenced an unset variable (their other errors would only be noise). */
  unsetPaths: Set<string>;
  /** JSON paths whose value came (at least partly) from the environment. */
  fromEnv: Set<string>;
}

/** Formats a JSON path the way config errors show it: `monitors[0].token`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** Replaces every `${NAME}` in every string of `raw` with the environment's value. */
export function substituteEnv(raw: unknown, env: Readonly<Record<string, string | undefined>>): EnvSubstitution {
  const issues: string[] = [];
  const fromEnv = new Set<string>();
  const unsetPaths = new Set<string>();
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      if (!node.includes('${')) return node;
      fromEnv.add(formatPath(path));
      // What is left once every well-formed reference is taken out: an unclosed "${GITHUB_TOKEN"
      // or "${lower-case}" would otherwise be used literally (as a token, say), and pass as a
      // reference for the literal-secret warning.
      const malformed = node.replace(REFERENCE, '').indexOf('${');
      if (malformed >= 0) {
        const rest = node.replace(REFERENCE, '').slice(malformed);
        const shown = rest.length > 40 ? `${rest.slice(0, 40)}…` : rest;
        const unclosed = !rest.includes('}');
        issues.push(`${formatPath(path)}: ${JSON.stringify(shown)} is not a valid environment reference (${unclosed ? 'the "${" is never closed by "}"' : 'a name has only letters, digits and underscores and does not start with a digit'}): write \${NAME}, e.g. \${GITHUB_TOKEN}`);
        unsetPaths.add(formatPath(path));
        return '';
      }
      return node.replace(REFERENCE, (_whole, name: string) => {
        const value = env[name];
        if (value === undefined) {
          issues.push(`${formatPath(path)}: environment variable ${name} is not set (export it, or remove the reference)`);
          unsetPaths.add(formatPath(path));
          return '';
        }
        return value;
      });
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return node;
  };
  const value = walk(raw, []);
  return { value, issues, fromEnv, unsetPaths };
}
