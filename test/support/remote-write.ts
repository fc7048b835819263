// Writes samples into a real Prometheus through its remote-write receiver (start it with
// `--web.enable-remote-write-receiver`), so tests can give it weeks of history in a second. The
// protobuf WriteRequest (prometheus/prompb types.proto) and the snappy block are encoded here by
// hand: the payload is one snappy literal, which every snappy decoder accepts.

/** One series: labels (with __name__) and its samples in time order. */
export interface RemoteWriteSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly samples: readonly { readonly timestampMs: number; readonly value: number }[];
}

class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  varint(value: number): void {
    const bytes: number[] = [];
    let rest = BigInt(value);
    do {
      let byte = Number(rest & 0x7fn);
      rest >>= 7n;
      if (rest > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (rest > 0n);
    this.push(Uint8Array.from(bytes));
  }

  /** Length-delimited field (wire type 2). */
  bytes(field: number, payload: Uint8Array): void {
    this.varint((field << 3) | 2);
    this.varint(payload.length);
    this.push(payload);
  }

  string(field: number, text: string): void {
    this.bytes(field, new TextEncoder().encode(text));
  }

  /** 64-bit double field (wire type 1). */
  double(field: number, value: number): void {
    this.varint((field << 3) | 1);
    const buffer = new Uint8Array(8);
    new DataView(buffer.buffer).setFloat64(0, value, true);
    this.push(buffer);
  }

  /** Varint field (wire type 0) for a non-negative integer. */
  int(field: number, value: number): void {
    this.varint(field << 3);
    this.varint(value);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

/** prompb.WriteRequest { repeated TimeSeries timeseries = 1 }; TimeSeries { labels = 1; samples = 2 }. */
function encodeWriteRequest(series: readonly RemoteWriteSeries[]): Uint8Array {
  const request = new ProtoWriter();
  for (const one of series) {
    const timeSeries = new ProtoWriter();
    for (const name of Object.keys(one.labels).sort()) {
      const label = new ProtoWriter();
      label.string(1, name);
      label.string(2, one.labels[name]!);
      timeSeries.bytes(1, label.finish());
    }
    for (const sample of one.samples) {
      const encoded = new ProtoWriter();
      encoded.double(1, sample.value);
      encoded.int(2, sample.timestampMs);
      timeSeries.bytes(2, encoded.finish());
    }
    request.bytes(1, timeSeries.finish());
  }
  return request.finish();
}

/** Snappy block format with the whole input as one literal: uncompressed length, tag, length − 1, bytes. */
function snappyLiteral(input: Uint8Array): Uint8Array {
  const header = new ProtoWriter();
  header.varint(input.length);
  const size = input.length - 1;
  const lengthBytes = size < 60 ? 0 : size < 1 << 8 ? 1 : size < 1 << 16 ? 2 : size < 1 << 24 ? 3 : 4;
  const tag = new Uint8Array(1 + lengthBytes);
  tag[0] = lengthBytes === 0 ? size << 2 : (59 + lengthBytes) << 2;
  for (let i = 0; i < lengthBytes; i++) tag[1 + i] = (size >>> (8 * i)) & 0xff;
  const prefix = header.finish();
  const out = new Uint8Array(prefix.length + tag.length + input.length);
  out.set(prefix, 0);
  out.set(tag, prefix.length);
  out.set(input, prefix.length + tag.length);
  return out;
}

/** POSTs the series to `${url}/api/v1/write`; throws with Prometheus' answer unless it accepts them. */
export async function remoteWrite(url: string, series: readonly RemoteWriteSeries[]): Promise<void> {
  const response = await fetch(`${url}/api/v1/write`, {
    method: 'POST',
    headers: {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
    body: Buffer.from(snappyLiteral(encodeWriteRequest(series))),
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`remote write to ${url} answered ${response.status}: ${body}`);
}

/** Where written history ends: a whole minute two minutes before now, as at a read shortly after. */
export function historyEndSeconds(nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000 / 60) * 60 - 120;
}
