/**
 * Typed domain errors. Every error that can reach a caller extends DomainError and carries a stable
 * machine-readable `code`; the HTTP middleware maps `status` to the response, the CLI prints `message`.
 */
export class DomainError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 500) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** A request or input value is malformed; names the offending parameter. */
export class ValidationError extends DomainError {
  readonly parameter?: string;
  constructor(message: string, parameter?: string, code = 'ValidationError') {
    super(code, message, 400);
    this.parameter = parameter;
  }
}

/** Authentication missing or wrong. */
export class UnauthorizedError extends DomainError {
  constructor(message = 'missing or invalid bearer token') {
    super('Unauthorized', message, 401);
  }
}

/** A route or resource does not exist. */
export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('NotFound', message, 404);
  }
}

/** A conditional write lost a race (e.g. the version pointer moved). */
export class ConflictError extends DomainError {
  constructor(message: string) {
    super('Conflict', message, 409);
  }
}

/** Input data (CSV) is bad: names file, line and column where known. */
export class DataError extends DomainError {
  readonly file?: string;
  readonly line?: number;
  constructor(message: string, file?: string, line?: number) {
    super('DataError', file ? `${file}${line !== undefined ? `:${line}` : ''}: ${message}` : message, 422);
    this.file = file;
    this.line = line;
  }
}

/** A downstream dependency (DynamoDB, Personalize) failed or timed out. */
export class DependencyError extends DomainError {
  readonly dependency: string;
  constructor(dependency: string, message: string) {
    super('DependencyError', `${dependency}: ${message}`, 503);
    this.dependency = dependency;
  }
}

/** A request body is larger than the route accepts (413); names the bound. */
export class PayloadTooLargeError extends DomainError {
  constructor(message: string) {
    super('PayloadTooLarge', message, 413);
  }
}
