"""Writes the Fashion-MNIST subset shipped in data/fashion-mnist/ from the full IDX files.

Takes the first 4,000 training and the first 1,000 test images with their labels, in the order
the original files hold them (no shuffling, no balancing), and writes them as gzip IDX files
with the original names, so the same reader reads the subset and the full set.

Run from the project root (Debian's dataset-fashion-mnist installs the source files):

    python3 scripts/make_fashion_subset.py [SOURCE_DIR] [OUT_DIR]

SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist, OUT_DIR to data/fashion-mnist.
gzip's header carries mtime 0, so reruns give identical bytes.
"""
import gzip
import os
import struct
import sys

SPLITS = {"train": 4000, "t10k": 1000}


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    (found,) = struct.unpack(">I", raw[:4])
    if found != magic:
        sys.exit(f"{path}: magic 0x{found:08x}, expected 0x{magic:08x}")
    rank = magic & 0xFF
    dims = list(struct.unpack(">" + "I" * rank, raw[4 : 4 + 4 * rank]))
    return dims, raw[4 + 4 * rank :]


def write_idx(path, magic, dims, body):
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * len(dims), *dims)
    with open(path, "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as f:
            f.write(header + body)


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    out_dir = sys.argv[2] if len(sys.argv) > 2 else "data/fashion-mnist"
    os.makedirs(out_dir, exist_ok=True)
    for split, count in SPLITS.items():
        dims, pixels = read_idx(os.path.join(source, f"{split}-images-idx3-ubyte.gz"), 0x00000803)
        _, labels = read_idx(os.path.join(source, f"{split}-labels-idx1-ubyte.gz"), 0x00000801)
        size = dims[1] * dims[2]
        write_idx(os.path.join(out_dir, f"{split}-images-idx3-ubyte.gz"), 0x00000803, [count, dims[1], dims[2]], pixels[: count * size])
        write_idx(os.path.join(out_dir, f"{split}-labels-idx1-ubyte.gz"), 0x00000801, [count], labels[:count])
        counts = [labels[:count].count(c) for c in range(10)]
        print(f"{split}: {count} images {dims[1]}x{dims[2]}, per class {counts}")


if __name__ == "__main__":
    main()
