/**
 * Errors thrown by tensorgrad. Every error is a TensorgradError with a stable `code`; the
 * subclasses say what kind of input was wrong. Native failures arrive as the same classes.
 */

export type ErrorCode =
  | 'ERR_TENSORGRAD'
  | 'ERR_SHAPE'
  | 'ERR_DTYPE'
  | 'ERR_ARGUMENT'
  | 'ERR_IO'
  | 'ERR_OUT_OF_MEMORY'
  | 'ERR_INTERNAL'
  | 'ERR_NATIVE_NOT_BUILT'
  | 'ERR_NATIVE_LOAD_FAILED'
  | 'ERR_GRADCHECK'
  | 'ERR_DISTRIBUTED';

export class TensorgradError extends Error {
  readonly code: ErrorCode;

  constructor(message: string, code: ErrorCode = 'ERR_TENSORGRAD', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A shape that does not fit: mismatched, not broadcastable, or invalid for the op. */
export class ShapeError extends TensorgradError {
  constructor(message: string) {
    super(message, 'ERR_SHAPE');
  }
}

/** A tensor of the wrong element type (for example int32 where float32 is needed). */
export class DTypeError extends TensorgradError {
  constructor(message: string) {
    super(message, 'ERR_DTYPE');
  }
}

/** An argument of the wrong type or out of range. */
export class ArgumentError extends TensorgradError {
  constructor(message: string) {
    super(message, 'ERR_ARGUMENT');
  }
}

/** A file that cannot be read or written, or whose contents are malformed. */
export class IOError extends TensorgradError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_IO', options);
  }
}
