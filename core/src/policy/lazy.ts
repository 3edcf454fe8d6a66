// Parsers the policy code needs only when it reads a file (the embedded default policy needs neither): yaml
// and ajv load on first use, so `portcullis scan` with the default policy starts ~0.1 s sooner.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type * as AjvModule from 'ajv';
import type * as AjvFormats from 'ajv-formats';

const require = createRequire(import.meta.url);
let yaml: typeof Yaml | undefined;
let ajv: { Ajv: typeof AjvModule.Ajv; addFormats: (a: AjvModule.Ajv) => AjvModule.Ajv } | undefined;

export function yamlLib(): typeof Yaml {
  yaml ??= require('yaml') as typeof Yaml;
  return yaml;
}

export function ajvLib(): NonNullable<typeof ajv> {
  if (!ajv) {
    const formats = require('ajv-formats') as typeof AjvFormats;
    // ajv-formats is CommonJS (`exports.default = plugin`)
    const addFormats = ((formats as { default?: unknown }).default ?? formats) as (
      a: AjvModule.Ajv,
    ) => AjvModule.Ajv;
    ajv = { Ajv: (require('ajv') as typeof AjvModule).Ajv, addFormats };
  }
  return ajv;
}
