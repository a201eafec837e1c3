#!/usr/bin/env python3
"""Split a feature dir into the parts of parallel decoding (run by steps/decode.sh):

    steps/split_for_decode.py --nj 4 --max-frames-per-batch 20000 dump/fbank/test exp/asr/decode_test/split

Writes OUT/1 .. OUT/n (feats.scp, utt2num_frames), n <= nj, each a run of whole batches of the
one-job batch schedule at that frame budget, so that the jobs decode exactly what one job would
(jsertk.infer.merge.split_for_decoding; OUT is replaced as a whole). Prints n; with n = 1 it
writes nothing and removes OUT: decode the feature dir itself in one job.
"""
from __future__ import annotations

import argparse
import sys

from jsertk.infer.merge import split_for_decoding
from jsertk.utils.errors import JsertkError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="feature dir (feats.scp, utt2num_frames)")
    parser.add_argument("out", help="where the parts go: OUT/<k>")
    parser.add_argument("--nj", type=int, required=True, help="most parts to make")
    parser.add_argument("--max-frames-per-batch", type=int, default=20000,
                        help="the decoders' frame budget per batch (jsertk decode --max-frames-per-batch)")
    args = parser.parse_args()
    try:
        parts = split_for_decoding(args.data, args.out, args.nj, args.max_frames_per_batch)
    except JsertkError as e:
        print(f"split_for_decode.py: error: {e}", file=sys.stderr)
        return 1
    print(len(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
