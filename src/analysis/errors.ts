/**
 * Base of every error the project raises on purpose. The message is one line that names the
 * problem and the numbers; the CLI prints it as is and exits non-zero.
 */
export class NnxError extends Error {
  constructor(message: string) {
    // User text (a layer name, a file name) may hold line breaks: show them escaped so the message
    // stays one line. "got undefined" is JSON.stringify of a missing value: say so in words.
    super(message.replace(/[\n\r\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/\bgot undefined\b/g, 'got nothing (it is missing)'));
    this.name = new.target.name;
  }
}

/** A spec, an attribute or a tensor the user gave is invalid. */
export class InputError extends NnxError {}

/**
 * Refuses a whole number past 2^53 − 1, where doubles stop counting exactly: a size there would
 * give rounded or infinite totals instead of an answer.
 */
export function checkExactInteger(where: string, value: number): void {
  if (Math.abs(value) > Number.MAX_SAFE_INTEGER) throw new InputError(`${where} ${value} is past 2^53 − 1 = 9007199254740991, the largest integer counted exactly`);
}
