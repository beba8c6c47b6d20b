/** A command-line error: one clear line on stderr and a non-zero exit, never a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export function fail(message: string, exitCode = 1): never {
  throw new CliError(message, exitCode);
}
