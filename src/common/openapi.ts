import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery, type SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * The OpenAPI (3.0) schema of what a client sends, made from the zod schema that validates it, so
 * the docs change when the validation does. `io: 'input'`: a field with a default may be left out.
 * Refinements (a date that must parse, say) have no JSON Schema; say them in `.meta({ description })`.
 * JSON Schema's `examples` (from `.meta({ examples: [...] })`) is not OpenAPI 3.0: the first one
 * becomes the schema's `example`.
 */
export function openApiSchema(schema: z.ZodType): SchemaObject {
  return z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    override: ({ jsonSchema }) => {
      if (Array.isArray(jsonSchema.examples)) {
        if (jsonSchema.examples.length > 0) jsonSchema.example = jsonSchema.examples[0];
        delete jsonSchema.examples;
      }
    },
  }) as SchemaObject;
}

/**
 * Documents a request body as the zod schema its `ZodPipe` validates it with. A schema that takes
 * undefined (`.optional()`, `.default({})`) makes the body optional.
 */
export const ApiBodyFrom = (schema: z.ZodType) =>
  ApiBody({ required: !schema.safeParse(undefined).success, schema: openApiSchema(schema) });

/**
 * Documents every field of a query object schema as a query parameter: its schema, whether it is
 * required, and its description (from `.meta({ description })`, shown with the parameter). For the
 * flat objects a query string makes: scalars, enums, coerced numbers.
 */
export function ApiQueryFrom(schema: z.ZodObject) {
  const { properties = {}, required = [] } = openApiSchema(schema);
  return applyDecorators(
    ...Object.entries(properties).map(([name, property]) => {
      const { description, ...rest } = property as SchemaObject;
      return ApiQuery({ name, required: required.includes(name), description, schema: rest });
    }),
  );
}
