/**
 * Base of every error the project raises on purpose. The message is one line that names the
 * problem and the numbers; the CLI prints it as is and exits non-zero.
 */
export class NnxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A spec, an attribute or a tensor the user gave is invalid. */
export class InputError extends NnxError {}
