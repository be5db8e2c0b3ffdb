import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Two validators: query strings and path parameters arrive as text, so they are coerced to the
 * schema's types (`?limit=10`); JSON bodies are not, so `{"name": 42}` is refused rather than
 * quietly stored as "42". Unknown properties are refused everywhere, never silently dropped.
 */
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

function makeAjv(coerce: boolean): InstanceType<typeof Ajv> {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    removeAdditional: false,
    useDefaults: true,
    allErrors: true,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

export function installValidators(app: FastifyInstance): void {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );
}
