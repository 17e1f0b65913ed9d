/**
 * A minimal protocol-buffers writer: just what the ONNX encoder needs (varints, including
 * 64-bit and negative int64 values, 32-bit floats, length-delimited fields and packed
 * repeated varints). Fields are appended in the order written; a nested message is encoded
 * first and then written as bytes, which is what the wire format is.
 *
 * Wire format: https://protobuf.dev/programming-guides/encoding/ — a field is a varint key
 * (fieldNumber << 3 | wireType) followed by its payload.
 */
import { ArgumentError } from '../../errors.js';

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;
const TWO_64 = 1n << 64n;

/** An int64 or uint64 as protobuf sees it: a number (an exact integer) or a bigint. */
export type Int64 = number | bigint;

export class ProtoWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = b;
  }

  /**
   * An unsigned varint; a negative value is written as its 64-bit two's complement (ten
   * bytes), which is how protobuf encodes a negative int32 or int64.
   */
  varint(value: Int64): this {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new ArgumentError(`ProtoWriter.varint: value must be a safe integer or a bigint, got ${value}`);
      // The common case (small non-negative values) without BigInt.
      if (value >= 0 && value < 2 ** 31) {
        let v = value;
        while (v >= 0x80) {
          this.#byte((v & 0x7f) | 0x80);
          v >>>= 7;
        }
        this.#byte(v);
        return this;
      }
      value = BigInt(value);
    }
    if (value < -(1n << 63n) || value >= TWO_64) throw new ArgumentError(`ProtoWriter.varint: value ${value} does not fit in 64 bits`);
    let v = value < 0n ? value + TWO_64 : value;
    while (v >= 0x80n) {
      this.#byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#byte(Number(v));
    return this;
  }

  #key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** An int32, int64, uint64, bool or enum field. */
  int(field: number, value: Int64 | boolean): this {
    this.#key(field, VARINT);
    return this.varint(typeof value === 'boolean' ? (value ? 1 : 0) : value);
  }

  /** A float (32-bit, little-endian) field. */
  float(field: number, value: number): this {
    this.#key(field, FIXED32);
    this.#reserve(4);
    new DataView(this.#buf.buffer, this.#buf.byteOffset).setFloat32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  /** A bytes field (also an embedded message, already encoded). */
  bytes(field: number, value: Uint8Array): this {
    this.#key(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.#reserve(value.length);
    this.#buf.set(value, this.#len);
    this.#len += value.length;
    return this;
  }

  /** A string field, UTF-8 encoded. */
  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** An embedded message. */
  message(field: number, encode: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    encode(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated int32/int64 field (one length-delimited run of varints). */
  packedInts(field: number, values: readonly Int64[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: readonly number[]): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, bytes);
  }

  /** The bytes written so far (a view of the writer's buffer). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}
