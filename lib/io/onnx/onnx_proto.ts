/**
 * Encoders for the ONNX messages an exported model uses (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto and the type and shape messages), with the
 * field numbers of onnx/onnx.proto. Only the fields we write are listed; everything else is
 * left at its default, which is what an absent field means in proto2.
 */
import { type Int64, ProtoWriter } from './protobuf.js';

/** TensorProto.DataType values for the element types we write. */
export const DataType = { float32: 1, int32: 6, int64: 7 } as const;
export type ElemType = keyof typeof DataType;

/** AttributeProto.AttributeType values. */
const AttributeType = { float: 1, int: 2, string: 3, floats: 6, ints: 7, strings: 8 } as const;

/** A node attribute with its type stated (an ONNX int and float are different attributes). */
export type Attribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: Int64 }
  | { type: 'string'; value: string }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'ints'; value: readonly Int64[] }
  | { type: 'strings'; value: readonly string[] };

export const attr = {
  float: (value: number): Attribute => ({ type: 'float', value }),
  int: (value: Int64): Attribute => ({ type: 'int', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  floats: (value: readonly number[]): Attribute => ({ type: 'floats', value }),
  ints: (value: readonly Int64[]): Attribute => ({ type: 'ints', value }),
  strings: (value: readonly string[]): Attribute => ({ type: 'strings', value }),
};

export interface NodeData {
  opType: string;
  name: string;
  /** '' stands for an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
}

export interface TensorData {
  name: string;
  elemType: ElemType;
  dims: readonly number[];
  /** The elements, little-endian, row-major. */
  raw: Uint8Array;
}

export interface ValueInfoData {
  name: string;
  elemType: ElemType;
  /** A size, or the name of a symbolic (dynamic) dimension. */
  dims: readonly (number | string)[];
}

export interface GraphData {
  name: string;
  nodes: NodeData[];
  initializers: TensorData[];
  inputs: ValueInfoData[];
  outputs: ValueInfoData[];
}

export interface ModelData {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  graph: GraphData;
}

function writeAttribute(w: ProtoWriter, name: string, a: Attribute): void {
  w.string(1, name);
  w.int(20, AttributeType[a.type]);
  switch (a.type) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
    case 'strings':
      for (const s of a.value) w.string(9, s);
      break;
  }
}

function writeNode(w: ProtoWriter, n: NodeData): void {
  for (const input of n.inputs) w.string(1, input);
  for (const output of n.outputs) w.string(2, output);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes)) w.message(5, (m) => writeAttribute(m, name, a));
}

function writeTensor(w: ProtoWriter, t: TensorData): void {
  w.packedInts(1, t.dims);
  w.int(2, DataType[t.elemType]);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

// ValueInfoProto { name = 1; type = 2 } → TypeProto { tensor_type = 1 } → Tensor { elem_type = 1; shape = 2 }
// → TensorShapeProto { dim = 1 } → Dimension { dim_value = 1 | dim_param = 2 }.
function writeValueInfo(w: ProtoWriter, v: ValueInfoData): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, DataType[v.elemType]);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'string' ? dim.string(2, d) : dim.int(1, d)));
      });
    }),
  );
}

function writeGraph(w: ProtoWriter, g: GraphData): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

/** The serialized ModelProto (the bytes of a .onnx file). */
export function encodeModel(model: ModelData): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  w.message(7, (m) => writeGraph(m, model.graph));
  // OperatorSetIdProto { domain = 1 (empty: the default ai.onnx domain); version = 2 }
  w.message(8, (m) => m.string(1, '').int(2, model.opsetVersion));
  return w.finish();
}
