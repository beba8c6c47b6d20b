import { Type } from '@sinclair/typebox';

export const errorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String()),
  }),
}, { $id: 'Error' });

/** Response schemas of the usual errors, so the OpenAPI document lists them for every route. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref('Error')]));
}
