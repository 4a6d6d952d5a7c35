"""Valid files without third-party packages: baseline JPEG samples and .safetensors LoRAs.

The JPEG encoder is deliberately tiny: one grey channel, one DC value per 8x8 block and no AC
energy (every block is "DC + end-of-block"). That is a fully conforming baseline JPEG of any size
that any decoder (libjpeg, sharp/libvips, browsers) reads, at the cost of looking blocky.
"""
import json
import math
import struct

# ITU T.81 Annex K.3 standard luminance DC table: code lengths per category 0..11.
_DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
_DC_VALS = list(range(12))
# AC table with a single symbol, 0x00 (end of block), code "0": every block ends right after its DC.
_AC_BITS = [1] + [0] * 15
_AC_VALS = [0x00]


def _huffman_codes(bits, vals):
    """Canonical Huffman codes (T.81 Annex C) → {symbol: (code, length)}."""
    codes = {}
    code = 0
    k = 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[vals[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


_DC_CODES = _huffman_codes(_DC_BITS, _DC_VALS)
_EOB = _huffman_codes(_AC_BITS, _AC_VALS)[0x00]


class _BitWriter:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def write(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self._emit(self.acc)
                self.acc = 0
                self.n = 0

    def _emit(self, byte):
        self.out.append(byte)
        if byte == 0xFF:  # byte stuffing: 0xFF in entropy data must be followed by 0x00
            self.out.append(0x00)

    def flush(self):
        if self.n:
            self._emit(((self.acc << (8 - self.n)) | ((1 << (8 - self.n)) - 1)) & 0xFF)
            self.acc = 0
            self.n = 0


def _segment(marker, payload):
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def encode_jpeg(width, height, shade):
    """Grey baseline JPEG; `shade(bx, by, blocks_x, blocks_y)` gives each 8x8 block's level 0..255."""
    bw, bh = math.ceil(width / 8), math.ceil(height / 8)
    bits = _BitWriter()
    prev = 0
    for by in range(bh):
        for bx in range(bw):
            level = max(0, min(255, int(shade(bx, by, bw, bh))))
            dc = (level - 128) * 8  # the DC term of a flat block under the JPEG FDCT scaling
            diff = dc - prev
            prev = dc
            cat = abs(diff).bit_length()
            code, length = _DC_CODES[cat]
            bits.write(code, length)
            if cat:
                bits.write(diff if diff >= 0 else diff + (1 << cat) - 1, cat)
            bits.write(*_EOB)
    bits.flush()
    out = bytearray(b"\xff\xd8")
    out += _segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    out += _segment(0xFFDB, b"\x00" + b"\x01" * 64)
    out += _segment(0xFFC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    out += _segment(0xFFC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALS))
    out += _segment(0xFFC4, b"\x10" + bytes(_AC_BITS) + bytes(_AC_VALS))
    out += _segment(0xFFDA, b"\x01\x01\x00\x00\x3f\x00")
    out += bits.out
    out += b"\xff\xd9"
    return bytes(out)


def sample_jpeg(width, height, step, seed):
    """A soft blob that brightens as training goes on and sits where the seed puts it."""
    gain = 60 + (step % 997) / 997 * 120

    def shade(bx, by, bw, bh):
        dx = (bx + 0.5) / bw - 0.5 - 0.1 * (seed % 5)
        dy = (by + 0.5) / bh - 0.45
        return 40 + gain * math.exp(-(dx * dx + dy * dy) * 12)

    return encode_jpeg(width, height, shade)


def write_safetensors(path, rank, metadata):
    """A small LoRA in the safetensors layout: u64 LE header length, JSON header, raw tensor data."""
    tensors = {
        "transformer.single_transformer_blocks.0.attn.to_q.lora_A.weight": [rank, 64],
        "transformer.single_transformer_blocks.0.attn.to_q.lora_B.weight": [64, rank],
    }
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    offset = 0
    for name, shape in tensors.items():
        size = shape[0] * shape[1] * 2  # F16
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)  # the format pads the header to 8 bytes with spaces
    data = bytes((i * 37) & 0x3B for i in range(offset))  # small finite F16 values, never NaN/Inf
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        f.write(data)


def read_safetensors_metadata(path):
    """`__metadata__` with each value JSON-decoded where it parses, like ai-toolkit's
    toolkit/metadata.parse_metadata_from_safetensors."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length).decode("utf-8"))
    meta = {}
    for key, value in header.get("__metadata__", {}).items():
        try:
            meta[key] = json.loads(value)
        except (TypeError, ValueError):
            meta[key] = value
    return meta
