/**
 * The error both sides speak: the API throws it to answer a refusal, and the portal gets
 * the same class back from the envelope. Kept free of imports so the portal can bundle it.
 */
export interface FieldError {
  field: string;
  message: string;
}

/** A refusal with its HTTP status, machine-readable code and per-field details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
