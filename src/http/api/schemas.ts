import { type Static, Type } from '@sinclair/typebox';
import { CLOSE_REASONS, REPORT_STATUSES } from '../../domain/reports/report-state.js';

// Shared TypeBox schemas of the JSON API. Response schemas list every field on purpose: the
// serializer drops anything not declared, so a new column cannot leak through the API.

/** Registered once with app.addSchema; routes point at it with `ErrorRef`. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'A stable code from the error catalogue, e.g. VALIDATION_FAILED.' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'ErrorResponse', description: 'Every error answer of the API.' },
);
export type ErrorBody = Static<typeof ErrorResponse>;

export const ErrorRef = Type.Unsafe<ErrorBody>({ $ref: 'ErrorResponse#' });

/** The error answers a route can give, all in the shared shape. */
export function errors(...statuses: number[]): Record<number, typeof ErrorRef> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorRef]));
}

export const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const AttachmentUpload = Type.Object(
  {
    filename: Type.String({ minLength: 1, maxLength: 1000 }),
    contentType: Type.Optional(
      Type.String({ maxLength: 255, description: 'Informational; downloads are always octet-stream.' }),
    ),
    contentBase64: Type.String({ description: 'The file, base64-encoded (standard alphabet, padded).' }),
  },
  { additionalProperties: false },
);
export type AttachmentUploadBody = Static<typeof AttachmentUpload>;

export const AttachmentInfo = Type.Object({
  id: Type.String(),
  filename: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const StatusSchema = Type.Union(REPORT_STATUSES.map((s) => Type.Literal(s)));
export const CloseReasonSchema = Type.Union(CLOSE_REASONS.map((s) => Type.Literal(s)));
